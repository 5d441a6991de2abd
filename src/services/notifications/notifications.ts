/**
 * The notifications service as its callers see it: one object over the three modules that do the
 * work, so the wiring hands one thing to the API (CRUD), the planner (the directory) and the
 * delivery workers (directory and health). Each concern lives in its own module:
 * `notification-directory.ts`, `notification-crud.ts`, `notification-health-tracker.ts`.
 */
import type { Transaction } from "kysely";
import type { ResolvedTarget, TargetDirectory } from "../../delivery/delivery-plan.js";
import type { Route } from "../../routing/route.js";
import type { Database } from "../../store/schema.js";
import type { NotificationCrud } from "./notification-crud.js";
import type { NotificationDirectory, TargetState } from "./notification-directory.js";
import type { HealthChange, HealthOutcome } from "./notification-health.js";
import type { NotificationHealthTracker } from "./notification-health-tracker.js";
import type { NotificationView } from "./notification-schemas.js";

export {
  type FieldProblem,
  NotificationInputError,
  ReadOnlyTargetError,
  readOnlyMessage,
} from "./notification-errors.js";
export { NOTIFICATION_ID_PREFIX, newNotificationId } from "./notification-id.js";

/** The three parts, built by the wiring (which decides how alerts are routed). */
export interface NotificationsParts {
  directory: NotificationDirectory;
  crud: NotificationCrud;
  health: NotificationHealthTracker;
}

/** Directory, CRUD and health of the notifications, behind one object. */
export class Notifications implements TargetDirectory {
  readonly directory: NotificationDirectory;
  readonly crud: NotificationCrud;
  readonly health: NotificationHealthTracker;

  constructor(parts: NotificationsParts) {
    this.directory = parts.directory;
    this.crud = parts.crud;
    this.health = parts.health;
  }

  // The directory.

  /** See `NotificationDirectory.load`. */
  load(): Promise<void> {
    return this.directory.load();
  }

  /** See `NotificationDirectory.reload`. */
  reload(): Promise<void> {
    return this.directory.reload();
  }

  /** See `NotificationDirectory.refreshIfChanged`. */
  refreshIfChanged(): Promise<void> {
    return this.directory.refreshIfChanged();
  }

  /** See `NotificationDirectory.startPolling`. */
  startPolling(intervalMs: number): void {
    this.directory.startPolling(intervalMs);
  }

  /** See `NotificationDirectory.stop`. */
  stop(): void {
    this.directory.stop();
  }

  /** `TargetDirectory`: a routing-file target, else an API notification. */
  get(name: string): ResolvedTarget | undefined {
    return this.directory.get(name);
  }

  /** Whether `name` is (or looks like) an API notification rather than a file target. */
  isNotification(name: string): boolean {
    return this.directory.isNotification(name);
  }

  /** Routes of the enabled notifications, for the planner. */
  routes(): Route[] {
    return this.directory.routes();
  }

  /** Health of an API notification; undefined for file targets. */
  targetState(name: string, now?: number): TargetState | undefined {
    return this.directory.targetState(name, now);
  }

  /** Whether a target (notification or file target) exists, by id or name. */
  has(name: string): boolean {
    return this.directory.has(name);
  }

  // CRUD (the API's calls).

  /** See `NotificationCrud.create`. */
  create(input: Record<string, unknown>): Promise<NotificationView> {
    return this.crud.create(input);
  }

  /** See `NotificationCrud.createFromRequest`. */
  createFromRequest(body: unknown): Promise<NotificationView> {
    return this.crud.createFromRequest(body);
  }

  /** See `NotificationCrud.change`. */
  change(id: string, body: Record<string, unknown>): Promise<NotificationView | undefined> {
    return this.crud.change(id, body);
  }

  /** See `NotificationCrud.update`. */
  update(id: string, patch: Record<string, unknown>): Promise<NotificationView | undefined> {
    return this.crud.update(id, patch);
  }

  /** See `NotificationCrud.remove`. */
  remove(id: string): Promise<boolean> {
    return this.crud.remove(id);
  }

  /** See `NotificationCrud.view`. */
  view(id: string): Promise<NotificationView | undefined> {
    return this.crud.view(id);
  }

  /** See `NotificationCrud.list`. */
  list(): Promise<NotificationView[]> {
    return this.crud.list();
  }

  // Health (the delivery workers' `TargetHealth`).

  /** See `NotificationHealthTracker.applyOutcome`. */
  applyOutcome(
    trx: Transaction<Database>,
    id: string,
    outcome: HealthOutcome,
    now?: number,
  ): Promise<HealthChange | undefined> {
    return this.health.applyOutcome(trx, id, outcome, now);
  }
}
