/**
 * The directory the planner and the delivery workers look targets up in: the routing file's
 * targets next to the notifications managed through the API, the routes the notifications'
 * filters make, and each notification's health as last loaded.
 *
 * The store is the truth; this keeps a decoded copy in memory because routing runs for every
 * event inside the ingest transaction and must not read and decrypt rows each time. Writes through
 * this process reload it at once; other processes (PostgreSQL) are caught up by a poll.
 */
import type { Kysely } from "kysely";
import type { Target } from "../../config/routing-file.js";
import type { ResolvedTarget, TargetDirectory } from "../../delivery/delivery-plan.js";
import type { Logger } from "../../logging/logger.js";
import type { NotifierRegistry } from "../../notifiers/kit/registry.js";
import type { Route } from "../../routing/route.js";
import { listNotificationRows, notificationsStamp } from "../../store/notifications-repository.js";
import type { Database } from "../../store/schema.js";
import type { SecretBox } from "../../store/secret-box.js";
import { assertStoredSecretsOpen } from "../stored-secrets-check.js";
import { decodeRow, type StoredNotification } from "./notification-codec.js";
import { stateOf } from "./notification-health.js";
import { NOTIFICATION_ID_PREFIX } from "./notification-id.js";

/** Health of a target the delivery engine tracks. */
export interface TargetState {
  state: "active" | "paused" | "disabled";
  until: string | null;
  reason: string | null;
}

interface Loaded {
  notification: StoredNotification;
  target: ResolvedTarget | undefined;
  route: Route | undefined;
}

export interface NotificationDirectoryOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  registry: NotifierRegistry;
  /** The routing file's targets (and default outputs), read-only here. */
  fileTargets: Map<string, Target>;
  log: Logger;
}

/** The in-memory, decoded copy of every target: what routing and delivery read. */
export class NotificationDirectory implements TargetDirectory {
  private loaded = new Map<string, Loaded>();
  /** What the table looked like at the last load (count, last change, enabled ones). */
  private stamp = "";
  private notificationRoutes: Route[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotificationDirectoryOptions) {}

  /**
   * Loads the notifications. At start-up, stored secrets that cannot be opened (no key, another
   * key) stop the start with what to do, rather than failing every delivery later.
   */
  async load(): Promise<void> {
    const rows = await listNotificationRows(this.options.db);
    assertStoredSecretsOpen(
      rows,
      this.options.box,
      "notification",
      "a new key, from openssl rand -base64 32,",
    );
    await this.reload();
  }

  /**
   * Reloads when the table changed since the last load (another process created, changed or
   * disabled a notification). One small query: the event worker calls it before each batch, so
   * an event is routed with the notifications that exist when it is processed.
   */
  async refreshIfChanged(): Promise<void> {
    if ((await notificationsStamp(this.options.db)) !== this.stamp) await this.reload();
  }

  /** Reads every notification again (after a write, and on the poll). */
  async reload(): Promise<void> {
    const stamp = await notificationsStamp(this.options.db);
    const rows = await listNotificationRows(this.options.db);
    const loaded = new Map<string, Loaded>();
    for (const row of rows) {
      try {
        const notification = decodeRow(row, this.options.box);
        loaded.set(row.id, this.resolve(notification));
      } catch (error) {
        this.options.log.error(
          { notification: row.id, err: error },
          "a stored notification cannot be read; its deliveries will fail",
        );
      }
    }
    this.loaded = loaded;
    this.stamp = stamp;
    this.notificationRoutes = [...loaded.values()].flatMap((l) => (l.route ? [l.route] : []));
  }

  /** Polls the store so changes made by other processes are seen. */
  startPolling(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.options.log.warn({ err: error }, "could not reload notifications"),
      );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the poll. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** `TargetDirectory`: a routing-file target, else an API notification. */
  get(name: string): ResolvedTarget | undefined {
    const file = this.options.fileTargets.get(name);
    if (file) return file;
    return this.loaded.get(name)?.target;
  }

  /** Whether `name` is (or looks like) an API notification rather than a file target. */
  isNotification(name: string): boolean {
    return name.startsWith(NOTIFICATION_ID_PREFIX) && !this.options.fileTargets.has(name);
  }

  /** Routes of the enabled notifications, for the planner. */
  routes(): Route[] {
    return this.notificationRoutes;
  }

  /** Health of an API notification; undefined for file targets. */
  targetState(name: string, now = Date.now()): TargetState | undefined {
    const loaded = this.loaded.get(name);
    if (!loaded || this.options.fileTargets.has(name)) return undefined;
    const { health } = loaded.notification;
    return {
      state: stateOf(health, now),
      until: health.disabledUntil,
      reason: health.disabledReason,
    };
  }

  /** Whether a target (notification or file target) exists, by id or name. */
  has(name: string): boolean {
    return this.options.fileTargets.has(name) || this.loaded.has(name);
  }

  /** The notifier's own reading of the settings, and the route its filters make when enabled. */
  private resolve(notification: StoredNotification): Loaded {
    const notifier = this.options.registry.get(notification.kind);
    let target: ResolvedTarget | undefined;
    if (notifier) {
      const parsed = notifier.settings.safeParse(notification.settings);
      if (parsed.success) {
        target = { name: notification.id, kind: notification.kind, settings: parsed.data };
      } else {
        this.options.log.error(
          { notification: notification.id },
          `stored settings no longer validate: ${parsed.error.issues.map((i) => i.message).join("; ")}`,
        );
      }
    }
    const { filters } = notification;
    const route: Route | undefined =
      notification.health.enabled && target
        ? {
            events: filters.events,
            environments: filters.environment_types.length ? filters.environment_types : undefined,
            projects: filters.project_names.length ? filters.project_names : undefined,
            branches: filters.branches.length ? filters.branches : undefined,
            notify: [notification.id],
          }
        : undefined;
    return { notification, target, route };
  }
}
