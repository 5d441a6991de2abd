/**
 * The notifications managed through the API, next to the routing file's targets: one directory
 * the planner and the delivery workers look targets up in, the routes the notifications' filters
 * make, and their delivery health (auto-disable that heals, with alerts).
 *
 * The store is the truth; this keeps a decoded copy in memory because routing runs for every
 * event inside the ingest transaction and must not read and decrypt rows each time. Writes through
 * this process reload it at once; other processes (PostgreSQL) are caught up by a poll.
 */

import { randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { Target } from "../../config/routing-file.js";
import type { DeployEvent } from "../../events/deploy-event.js";
import type { Logger } from "../../logging/logger.js";
import type { NotifierRegistry } from "../../notifiers/kit/registry.js";
import type { PlannedDelivery, ResolvedTarget } from "../../routing/delivery-planner.js";
import type { Route } from "../../routing/route.js";
import { eventOrder, insertDeliveries } from "../../store/deliveries-repository.js";
import { insertSystemEvent } from "../../store/events-repository.js";
import {
  deleteNotificationRow,
  getNotificationRow,
  insertNotification,
  insertStateChange,
  listNotificationRows,
  listStateChanges,
  updateNotificationRow,
} from "../../store/notifications-repository.js";
import type { Database } from "../../store/schema.js";
import { envelopeKeyId, KEY_HINT, type SecretBox, SecretBoxError } from "../../store/secret-box.js";
import {
  decodeRow,
  EncryptionKeyMissingError,
  encodeSettings,
  type StoredNotification,
  settingsView,
  viewOf,
} from "./notification-codec.js";
import {
  type HealthChange,
  type HealthOutcome,
  nextHealth,
  stateOf,
} from "./notification-health.js";
import type {
  NotificationFilters,
  NotificationKind,
  NotificationView,
} from "./notification-schemas.js";

/** Prefix of API notification ids; routing-file target names may not use it. */
export const NOTIFICATION_ID_PREFIX = "ntf_";

const SLUG_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `ntf_` + 16 base-32 characters (80 random bits): short, and not guessable. */
export function newNotificationId(): string {
  const bytes = randomBytes(16);
  let slug = "";
  for (const byte of bytes) slug += SLUG_ALPHABET[byte & 31];
  return `${NOTIFICATION_ID_PREFIX}${slug}`;
}

/** A problem with a request, by field: the API answers 422 with all of them. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class NotificationInputError extends Error {
  override name = "NotificationInputError";
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join("; "));
  }
}

/** Raised for a change to a routing-file target or default output. */
export class ReadOnlyTargetError extends Error {
  override name = "ReadOnlyTargetError";
}

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

export interface NotificationsOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  registry: NotifierRegistry;
  /** The routing file's targets (and default outputs), read-only here. */
  fileTargets: Map<string, Target>;
  /** Routing-file targets told about changes of health. */
  alerts: string[];
  /** The planner's deliveries for an alert event (to the `alerts` targets). */
  planAlert: (event: DeployEvent) => PlannedDelivery[];
  log: Logger;
}

export class Notifications {
  private loaded = new Map<string, Loaded>();
  /** What the table looked like at the last load (count, last change, enabled ones). */
  private stamp = "";
  private notificationRoutes: Route[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotificationsOptions) {}

  /**
   * Loads the notifications. At start-up, stored secrets that cannot be opened (no key, another
   * key) stop the start with what to do, rather than failing every delivery later.
   */
  async load(): Promise<void> {
    const { box } = this.options;
    const rows = await listNotificationRows(this.options.db);
    const sealed = rows.filter((row) => row.secrets !== null);
    if (sealed.length > 0 && box === undefined) {
      throw new SecretBoxError(
        `${sealed.length} stored notification(s) have encrypted secrets: set SHIPCAST_ENCRYPTION_KEY to the key they were stored with (a new key, from openssl rand -base64 32, cannot open them; delete those notifications to start over)`,
      );
    }
    for (const row of sealed) {
      const keyId = row.secrets === null ? undefined : envelopeKeyId(row.secrets);
      if (box !== undefined && keyId !== box.keyId) {
        throw new SecretBoxError(
          `notification ${row.id} was stored with another SHIPCAST_ENCRYPTION_KEY (key id ${keyId}; this key is ${box.keyId}): start with the key it was stored with`,
        );
      }
    }
    await this.reload();
  }

  /**
   * Reloads when the table changed since the last load (another process created, changed or
   * disabled a notification). One small query: the event worker calls it before each batch, so
   * an event is routed with the notifications that exist when it is processed.
   */
  async refreshIfChanged(): Promise<void> {
    if ((await this.currentStamp()) !== this.stamp) await this.reload();
  }

  private async currentStamp(): Promise<string> {
    const row = await this.options.db
      .selectFrom("notifications")
      .select((eb) => [
        eb.fn.countAll<number | string>().as("n"),
        eb.fn.max("updated_at").as("updated"),
        eb.fn.sum<number | string | null>("enabled").as("enabled"),
      ])
      .executeTakeFirst();
    return `${Number(row?.n ?? 0)}|${row?.updated ?? ""}|${Number(row?.enabled ?? 0)}`;
  }

  /** Reads every notification again (after a write, and on the poll). */
  async reload(): Promise<void> {
    const stamp = await this.currentStamp();
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

  /** Validates settings with the notifier itself (its rules are the last word). */
  private checkSettings(kind: NotificationKind, settings: Record<string, unknown>): void {
    const notifier = this.options.registry.get(kind);
    if (!notifier) {
      const off = this.options.registry.offReason(kind);
      throw new NotificationInputError([
        { field: "kind", message: off ? `${kind} notifications are off: ${off}` : `unknown kind` },
      ]);
    }
    const parsed = notifier.settings.safeParse(settings);
    if (!parsed.success) {
      throw new NotificationInputError(
        parsed.error.issues.map((issue) => ({
          field: issue.path.join(".") || "(body)",
          message: issue.message,
        })),
      );
    }
  }

  private encode(kind: NotificationKind, settings: Record<string, unknown>) {
    try {
      return encodeSettings(kind, settings, this.options.box);
    } catch (error) {
      if (error instanceof EncryptionKeyMissingError) {
        throw new NotificationInputError(
          error.fields.map((field) => ({
            field,
            message: `is a secret, and SHIPCAST_ENCRYPTION_KEY is not set: ${KEY_HINT}`,
          })),
        );
      }
      throw error;
    }
  }

  /** Creates a notification from a validated request body. */
  async create(input: Record<string, unknown>): Promise<NotificationView> {
    const kind = input.kind as NotificationKind;
    const { filters, settings, description, enabled } = splitInput(input);
    this.checkSettings(kind, settings);
    const encoded = this.encode(kind, settings);
    const now = new Date().toISOString();
    const id = newNotificationId();
    await insertNotification(this.options.db, {
      id,
      kind,
      description: (description as string | undefined) ?? "",
      enabled: enabled === false ? 0 : 1,
      filters: JSON.stringify(filters),
      settings: encoded.settings,
      secrets: encoded.secrets,
      consecutive_failures: 0,
      disabled_until: null,
      disabled_reason: enabled === false ? "disabled through the API" : null,
      created_at: now,
      updated_at: now,
    });
    await this.reload();
    return (await this.view(id)) as NotificationView;
  }

  /**
   * Applies a validated PATCH. Secrets not named stay; `null` removes one. `enabled: true`
   * re-enables and resets the health; `enabled: false` disables.
   */
  async update(id: string, patch: Record<string, unknown>): Promise<NotificationView | undefined> {
    if (this.options.fileTargets.has(id)) throw new ReadOnlyTargetError(readOnlyMessage(id));
    const row = await getNotificationRow(this.options.db, id);
    if (!row) return undefined;
    const current = decodeRow(row, this.options.box);
    if (patch.kind !== undefined && patch.kind !== current.kind) {
      throw new NotificationInputError([
        { field: "kind", message: "cannot change; create a new notification instead" },
      ]);
    }
    const { filters, settings, description, enabled } = splitInput(patch);
    const nextSettings: Record<string, unknown> = { ...current.settings };
    for (const [name, value] of Object.entries(settings)) {
      if (value === null) delete nextSettings[name];
      else nextSettings[name] = value;
    }
    const nextFilters: NotificationFilters = { ...current.filters, ...filters };
    this.checkSettings(current.kind, nextSettings);
    const encoded = this.encode(current.kind, nextSettings);
    const now = new Date().toISOString();
    await this.options.db.transaction().execute(async (trx) => {
      const health = { ...current.health };
      let change: { state: "active" | "disabled"; reason: string } | undefined;
      if (enabled === true && (stateOf(health) !== "active" || health.consecutiveFailures > 0)) {
        change = { state: "active", reason: "re-enabled through the API; failure count reset" };
        Object.assign(health, {
          enabled: true,
          consecutiveFailures: 0,
          disabledUntil: null,
          disabledReason: null,
        });
      } else if (enabled === false && health.enabled) {
        change = { state: "disabled", reason: "disabled through the API" };
        Object.assign(health, {
          enabled: false,
          disabledUntil: null,
          disabledReason: change.reason,
        });
      }
      await updateNotificationRow(trx, id, {
        description: typeof description === "string" ? description : current.description,
        filters: JSON.stringify(nextFilters),
        settings: encoded.settings,
        secrets: encoded.secrets,
        enabled: health.enabled ? 1 : 0,
        consecutive_failures: health.consecutiveFailures,
        disabled_until: health.disabledUntil,
        disabled_reason: health.disabledReason,
        updated_at: now,
      });
      if (change?.state === "active") {
        // Deliveries waiting for the pause to end are due now.
        await trx
          .updateTable("deliveries")
          .set({ next_attempt_at: now, updated_at: now })
          .where("target", "=", id)
          .where("status", "=", "pending")
          .where("next_attempt_at", ">", now)
          .execute();
      }
      if (change) {
        await insertStateChange(trx, {
          notificationId: id,
          at: now,
          state: change.state,
          reason: change.reason,
          consecutiveFailures: health.consecutiveFailures,
          disabledUntil: null,
          actor: "api",
        });
      }
    });
    await this.reload();
    return this.view(id);
  }

  async remove(id: string): Promise<boolean> {
    if (this.options.fileTargets.has(id)) throw new ReadOnlyTargetError(readOnlyMessage(id));
    const removed = await deleteNotificationRow(this.options.db, id);
    await this.reload();
    return removed;
  }

  /** One notification as the API shows it, with its recent history; file targets too. */
  async view(id: string): Promise<NotificationView | undefined> {
    const file = this.options.fileTargets.get(id);
    if (file) return fileTargetView(file);
    const row = await getNotificationRow(this.options.db, id);
    if (!row) return undefined;
    const view = viewOf(decodeRow(row, this.options.box));
    view.state_changes = (await listStateChanges(this.options.db, id)).map((c) => ({
      at: c.at,
      state: c.state,
      reason: c.reason,
      consecutive_failures: c.consecutive_failures,
      disabled_until: c.disabled_until,
      actor: c.actor as "deliveries" | "api",
    }));
    return view;
  }

  /** API notifications (oldest first), then the routing file's targets, read-only. */
  async list(): Promise<NotificationView[]> {
    const rows = await listNotificationRows(this.options.db);
    const views = rows.map((row) => {
      try {
        return viewOf(decodeRow(row, this.options.box));
      } catch {
        // Listing must work even when one row cannot be opened; its secrets stay unknown.
        const { secrets: _sealed, ...rest } = row;
        return viewOf(decodeRow({ ...rest, secrets: null }, undefined));
      }
    });
    for (const target of this.options.fileTargets.values()) views.push(fileTargetView(target));
    return views;
  }

  /** Whether a target (notification or file target) exists, by id or name. */
  has(name: string): boolean {
    return this.options.fileTargets.has(name) || this.loaded.has(name);
  }

  /**
   * Applies one attempt's outcome to a notification's health, inside the transaction that records
   * the attempt; writes the change to its history and, when the state changed, an alert event
   * with deliveries to the `alerts` targets. Returns the change, if any.
   */
  async applyOutcome(
    trx: Transaction<Database>,
    id: string,
    outcome: HealthOutcome,
    now = Date.now(),
  ): Promise<HealthChange | undefined> {
    const row = await getNotificationRow(trx, id);
    if (!row) return undefined;
    const health = {
      enabled: row.enabled === 1,
      consecutiveFailures: row.consecutive_failures,
      disabledUntil: row.disabled_until,
      disabledReason: row.disabled_reason,
    };
    const next = nextHealth(health, outcome, now);
    const at = new Date(now).toISOString();
    if (
      next.health.consecutiveFailures === health.consecutiveFailures &&
      next.health.enabled === health.enabled &&
      next.health.disabledUntil === health.disabledUntil &&
      next.change === undefined
    ) {
      return undefined;
    }
    await updateNotificationRow(trx, id, {
      enabled: next.health.enabled ? 1 : 0,
      consecutive_failures: next.health.consecutiveFailures,
      disabled_until: next.health.disabledUntil,
      disabled_reason: next.health.disabledReason,
    });
    if (!next.change) return undefined;
    const change = await insertStateChange(trx, {
      notificationId: id,
      at,
      state: next.change.state,
      reason: next.change.reason,
      consecutiveFailures: next.health.consecutiveFailures,
      disabledUntil: next.health.disabledUntil,
      actor: "deliveries",
    });
    if (next.change.announce) {
      await this.announce(trx, row.id, row.kind, row.description, {
        ...next.change,
        at,
        consecutiveFailures: next.health.consecutiveFailures,
        disabledUntil: next.health.disabledUntil,
        changeId: change.id,
      });
    }
    return next.change;
  }

  /** Writes the alert event and its deliveries to the `alerts` targets, in `trx`. */
  private async announce(
    trx: Transaction<Database>,
    id: string,
    kind: string,
    description: string,
    change: HealthChange & {
      at: string;
      consecutiveFailures: number;
      disabledUntil: string | null;
      changeId: string;
    },
  ): Promise<void> {
    const { alerts } = this.options;
    if (alerts.length === 0) return;
    const alertKind =
      change.state === "active"
        ? "notification.recovered"
        : change.state === "paused"
          ? "notification.paused"
          : "notification.disabled";
    const event: DeployEvent = {
      schemaVersion: 1,
      kind: alertKind,
      source: "shipcast",
      sourceEvent: alertKind,
      project: { name: description || id, id },
      environment: { name: "shipcast", type: "PRODUCTION" },
      urls: {},
      ...(change.state === "active" ? {} : { error: change.reason }),
      occurredAt: change.at,
      ids: { notification: id, change: change.changeId },
      alert: {
        notification: { id, kind, description },
        state: change.state,
        reason: change.reason,
        consecutiveFailures: change.consecutiveFailures,
        ...(change.disabledUntil === null || change.state !== "paused"
          ? {}
          : { disabledUntil: change.disabledUntil }),
      },
    };
    const normalized = JSON.stringify(event);
    const eventId = await insertSystemEvent(trx, {
      eventName: alertKind,
      dedupeKey: `health:${change.changeId}`,
      normalized,
      now: change.at,
    });
    const planned = this.options.planAlert(event);
    await insertDeliveries(trx, eventId, eventOrder(event.occurredAt, eventId), planned, change.at);
  }
}

/** Why a routing-file target or default output cannot be changed through the API. */
export function readOnlyMessage(name: string): string {
  return `"${name}" is defined in the routing file (or is a default output) and is read-only here: change it in shipcast.yml`;
}

/** A routing-file target or default output, as the notifications list shows it. */
function fileTargetView(target: Target): NotificationView {
  const settings = (target.settings ?? {}) as Record<string, unknown>;
  return {
    id: target.name,
    kind: target.kind,
    description: target.source === "file" ? "routing file target" : "default output",
    enabled: true,
    state: "active",
    read_only: true,
    source: target.source,
    events: "all",
    environment_types: [],
    project_names: [],
    branches: [],
    ...settingsView(target.kind, settings),
    consecutive_failures: 0,
    disabled_until: null,
    disabled_reason: null,
    created_at: null,
    updated_at: null,
  };
}

const FILTER_NAMES = ["events", "environment_types", "project_names", "branches"] as const;

/** Splits a request body into filters, kind settings and the common fields. */
function splitInput(input: Record<string, unknown>) {
  const filters: Partial<NotificationFilters> = {};
  const settings: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if ((FILTER_NAMES as readonly string[]).includes(name)) {
      (filters as Record<string, unknown>)[name] = value;
    } else if (!["kind", "description", "enabled"].includes(name)) {
      settings[name] = value;
    }
  }
  return {
    filters: filters as NotificationFilters,
    settings,
    description: input.description,
    enabled: input.enabled,
  };
}
