/**
 * Between a notification as the program uses it (settings in the notifier's own shape, secrets in
 * clear) and as it is stored (secrets sealed with `SecretBox`) or shown (secrets as `…_set`).
 */
import type { Selectable } from "kysely";
import type { NotificationsTable } from "../../store/schema.js";
import type { SecretBox } from "../../store/secret-box.js";
import { EncryptionKeyMissingError } from "../service-errors.js";

export { EncryptionKeyMissingError };

import type { Health } from "./notification-health.js";
import { stateOf } from "./notification-health.js";
import {
  type NotificationFilters,
  type NotificationKind,
  type NotificationView,
  SECRET_FIELDS,
} from "./notification-schemas.js";

/** A notification managed through the API, decoded. */
export interface StoredNotification {
  id: string;
  kind: NotificationKind;
  description: string;
  filters: NotificationFilters;
  /** The notifier's settings, secrets in clear. */
  settings: Record<string, unknown>;
  health: Health;
  created_at: string;
  updated_at: string;
}

/** The settings that are secret for this notification (a URL with credentials is, too). */
function secretNames(kind: NotificationKind, settings: Record<string, unknown>): string[] {
  const names = SECRET_FIELDS[kind].filter((name) => settings[name] !== undefined);
  if (kind === "webhook" && typeof settings.url === "string" && hasCredentials(settings.url)) {
    names.push("url");
  }
  return names;
}

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== "" || parsed.password !== "";
  } catch {
    return false;
  }
}

/** A URL fit to show: credentials masked, and for Slack the token path too. */
export function maskUrl(kind: string, url: string): string {
  try {
    const parsed = new URL(url);
    if (kind === "slack") return `${parsed.origin}/[redacted]`;
    if (parsed.username === "" && parsed.password === "") return url;
    const user = parsed.username === "" ? "" : `${parsed.username}:`;
    return `${parsed.protocol}//${user}[redacted]@${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return "[redacted]";
  }
}

/** The columns of a notification's row that hold its settings. */
export function encodeSettings(
  kind: NotificationKind,
  settings: Record<string, unknown>,
  box: SecretBox | undefined,
): { settings: string; secrets: string | null } {
  const secret = secretNames(kind, settings);
  const publicPart: Record<string, unknown> = {};
  const secretPart: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (secret.includes(name)) secretPart[name] = value;
    else publicPart[name] = value;
  }
  // The URL's masked form stays readable for listing without the key.
  if (typeof secretPart.url === "string") publicPart.url = maskUrl(kind, secretPart.url);
  if (secret.length === 0) return { settings: JSON.stringify(publicPart), secrets: null };
  if (box === undefined) throw new EncryptionKeyMissingError(secret);
  return {
    settings: JSON.stringify(publicPart),
    secrets: box.seal(JSON.stringify(secretPart)),
  };
}

/** A row back to a notification; throws `SecretBoxError` when its secrets cannot be opened. */
export function decodeRow(
  row: Selectable<NotificationsTable>,
  box: SecretBox | undefined,
): StoredNotification {
  const settings = JSON.parse(row.settings) as Record<string, unknown>;
  if (row.secrets !== null) {
    if (box === undefined) throw new EncryptionKeyMissingError([]);
    Object.assign(settings, JSON.parse(box.open(row.secrets)) as Record<string, unknown>);
  }
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    description: row.description,
    filters: JSON.parse(row.filters) as NotificationFilters,
    settings,
    health: {
      enabled: row.enabled === 1,
      consecutiveFailures: row.consecutive_failures,
      disabledUntil: row.disabled_until,
      disabledReason: row.disabled_reason,
    },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** What the API shows of a notification: no secret value, ever. */
export function viewOf(notification: StoredNotification, now = Date.now()): NotificationView {
  const { kind, settings, health } = notification;
  const state = stateOf(health, now);
  const view: NotificationView = {
    id: notification.id,
    kind,
    description: notification.description,
    enabled: health.enabled,
    state,
    read_only: false,
    source: "api",
    ...notification.filters,
    consecutive_failures: health.consecutiveFailures,
    disabled_until: state === "paused" ? health.disabledUntil : null,
    disabled_reason: state === "active" ? null : health.disabledReason,
    created_at: notification.created_at,
    updated_at: notification.updated_at,
  };
  Object.assign(view, settingsView(kind, settings));
  return view;
}

/** The settings part of a view, for API notifications and read-only targets alike. */
export function settingsView(kind: string, settings: Record<string, unknown>) {
  const view: Partial<NotificationView> = {};
  if (typeof settings.url === "string") {
    view.url = maskUrl(kind, settings.url);
    if (kind === "slack") view.url_set = true;
  }
  if (kind === "webhook") {
    const headers = (settings.headers ?? {}) as Record<string, string>;
    view.headers = Object.fromEntries(Object.keys(headers).map((name) => [name, "[redacted]"]));
    view.secret_set = settings.secret !== undefined;
    view.jws_secret_set = settings.jws_secret !== undefined;
    view.standard_webhooks_secret_set = settings.standard_webhooks_secret !== undefined;
    view.ssl_verification = settings.ssl_verification !== false;
  }
  if (kind === "email" && Array.isArray(settings.to)) view.to = settings.to as string[];
  return view;
}
