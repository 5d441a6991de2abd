/**
 * Creating, changing, removing and showing notifications, as the API (and later the dashboard and
 * the CLI) does it: requests validated by the notifier itself, secrets sealed before they are
 * stored and shown only as `…_set`, the routing file's targets listed read-only next to them.
 */
import type { Kysely } from "kysely";
import type { Target } from "../../config/routing-file.js";
import type { NotifierRegistry } from "../../notifiers/kit/registry.js";
import { makeWaitingDeliveriesDue } from "../../store/deliveries-repository.js";
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
import { KEY_HINT, type SecretBox } from "../../store/secret-box.js";
import { problemsOf } from "../problems.js";
import {
  decodeRow,
  EncryptionKeyMissingError,
  encodeSettings,
  settingsView,
  viewOf,
} from "./notification-codec.js";
import {
  NotificationInputError,
  ReadOnlyTargetError,
  readOnlyMessage,
} from "./notification-errors.js";
import { stateOf } from "./notification-health.js";
import { newNotificationId } from "./notification-id.js";
import {
  NOTIFICATION_KINDS,
  type NotificationFilters,
  type NotificationKind,
  type NotificationView,
  notificationCreateSchema,
  notificationPatchSchemas,
} from "./notification-schemas.js";

export interface NotificationCrudOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  registry: NotifierRegistry;
  /** The routing file's targets (and default outputs), listed and refused read-only. */
  fileTargets: Map<string, Target>;
  /** Called after every write, so the directory routes with the change at once. */
  onChange: () => Promise<void>;
}

/** The notifications' create, read, update and delete, over the store. */
export class NotificationCrud {
  constructor(private readonly options: NotificationCrudOptions) {}

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
    await this.options.onChange();
    return (await this.view(id)) as NotificationView;
  }

  /**
   * Validates a creation request (any kind) with the API's schema and creates it;
   * `NotificationInputError` with every problem by field when it is not valid.
   */
  async createFromRequest(body: unknown): Promise<NotificationView> {
    const parsed = notificationCreateSchema.safeParse(body);
    if (!parsed.success) throw new NotificationInputError(problemsOf(parsed.error));
    return this.create(parsed.data);
  }

  /**
   * Validates a change request with the schema of the notification's kind (the kind is known
   * once it is found) and applies it. Undefined for an unknown id; `ReadOnlyTargetError` for a
   * routing-file target; `NotificationInputError` with every problem by field.
   */
  async change(id: string, body: Record<string, unknown>): Promise<NotificationView | undefined> {
    const current = await this.view(id);
    if (!current) return undefined;
    if (current.read_only || !isNotificationKind(current.kind)) {
      throw new ReadOnlyTargetError(readOnlyMessage(id));
    }
    const parsed = notificationPatchSchemas[current.kind].safeParse(body);
    if (!parsed.success) throw new NotificationInputError(problemsOf(parsed.error));
    return this.update(id, parsed.data);
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
      // Deliveries waiting for the pause to end are due now.
      if (change?.state === "active") await makeWaitingDeliveriesDue(trx, id, now);
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
    await this.options.onChange();
    return this.view(id);
  }

  /** Deletes a notification and its history (its delivery log stays); false when unknown. */
  async remove(id: string): Promise<boolean> {
    if (this.options.fileTargets.has(id)) throw new ReadOnlyTargetError(readOnlyMessage(id));
    const removed = await deleteNotificationRow(this.options.db, id);
    await this.options.onChange();
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

  /** Seals the secrets; without a key, a request carrying one is refused by field. */
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

function isNotificationKind(kind: string): kind is NotificationKind {
  return NOTIFICATION_KINDS.some((known) => known === kind);
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
