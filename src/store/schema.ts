import type { Generated } from "kysely";

/** Status of an inbox event, from acknowledgement to the end of its processing. */
export type EventStatus = "pending" | "processed" | "ignored" | "failed";

/**
 * The `events` table: the inbox. One row per verified, acknowledged delivery from a source.
 * Timestamps are ISO 8601 strings so both engines store and sort them alike.
 */
export interface EventsTable {
  /** Sortable public id (`evt_` + ULID): newest first is `ORDER BY id DESC`. */
  id: string;
  source: string;
  /** The source's delivery id (or derived key); unique per source. */
  dedupe_key: string;
  /** The provider's own event name (`deployment_status`, `Deployment Hook`, `deploy_failed`). */
  event_name: string | null;
  received_at: string;
  status: EventStatus;
  /** Why it was ignored, or the error that failed it. */
  reason: string | null;
  /** JSON `DeployEvent` once normalized. */
  normalized: string | null;
  processed_at: string | null;
  attempts: Generated<number>;
}

/**
 * Status of a delivery: `pending` until it succeeded, failed for good, was superseded by a newer
 * event, or was skipped by its notifier (nothing to do there, with the reason).
 */
export type DeliveryStatus = "pending" | "succeeded" | "failed" | "superseded" | "skipped";

/**
 * The outbox: one row per (event × target), written in the transaction that marks the event
 * processed. A pending row with `lease_until` in the future is in flight.
 */
export interface DeliveriesTable {
  /** `dlv_` + ULID; stable across retries and re-sends. */
  id: string;
  event_id: string;
  /** Target name (routing file or API). */
  target: string;
  /** Notifier kind serving the target. */
  kind: string;
  /** What the delivery updates on the target (project, environment, PR/MR): the ordering key. */
  subject: string;
  /** Sortable position of the event: its source time, then its id. */
  event_order: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_until: string | null;
  /**
   * When a claim may take it: set on the head of its (target, subject) queue only (its next
   * attempt time, or the end of its lease while in flight); null while it waits behind an
   * earlier delivery of its queue, and once finished. What claims look up.
   */
  ready_at: Generated<string | null>;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** Outcome of one attempt: the notifier's classification, or `superseded` when skipped. */
export type AttemptOutcome = "succeeded" | "retry" | "failed" | "skipped";

/** The delivery log: one row per attempt, secrets already redacted. */
export interface DeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  outcome: AttemptOutcome;
  http_status: number | null;
  error: string | null;
  /** Excerpt of the answer, truncated. */
  response: string | null;
  /** When a `retry` is scheduled for. */
  next_attempt_at: string | null;
  /** JSON `{method, url, headers, body}` of the request sent, secrets redacted. */
  request: string | null;
  /** JSON object of the answer's headers. */
  response_headers: string | null;
}

/**
 * A notification target managed through the API (`/api/v1/notifications`). Its secrets are an
 * AES-256-GCM envelope (see `secret-box.ts`), never clear text.
 */
export interface NotificationsTable {
  /** `ntf_` + random: short, unguessable, and never a routing-file target name. */
  id: string;
  /** Notifier kind (`webhook`, `slack`, `email`). */
  kind: string;
  description: string;
  /** 0 once disabled (by a user, by a 410, or after too many failures). */
  enabled: number;
  /** JSON `{events, environment_types, project_names, branches}`. */
  filters: string;
  /** JSON of the kind's settings without the secret ones. */
  settings: string;
  /** Encrypted JSON of the secret settings, or null when there are none. */
  secrets: string | null;
  consecutive_failures: Generated<number>;
  /** Paused until this time (auto-disable that heals). */
  disabled_until: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** State of a notification's delivery health, as recorded in its history. */
export type NotificationState = "active" | "paused" | "disabled";

/** Every change of a notification's health: who or what changed it, and why. */
export interface NotificationStateChangesTable {
  id: string;
  notification_id: string;
  at: string;
  state: NotificationState;
  reason: string;
  consecutive_failures: number;
  disabled_until: string | null;
  /** `deliveries` (the engine) or `api` (a user). */
  actor: string;
}

/** Scope of an API token: `read` for GET, `write` for everything but token management. */
export type TokenScope = "read" | "write";

/** API tokens; the token itself is shown once and stored as a SHA-256 hash. */
export interface ApiTokensTable {
  id: string;
  name: string;
  scope: TokenScope;
  /** Hex SHA-256 of the token. */
  token_hash: string;
  /** The token's first characters, to tell tokens apart in lists. */
  token_hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** What an event arrived with; written once, with its `events` row. */
export interface EventPayloadsTable {
  event_id: string;
  /** JSON object of the request headers, secrets redacted. */
  headers: string;
  /** The JSON payload as received (sanitized: live credentials removed). */
  body: string;
}

/**
 * The one Shipcast comment on a pull/merge request: which comment it is, and the rows it shows
 * (one per project and environment), so every update re-renders the whole table.
 */
export interface StickyCommentsTable {
  id: string;
  /** `github` or `gitlab`. */
  provider: string;
  /** Repository key: web origin + full path (`https://github.com/o/r`). */
  repository: string;
  /** Pull/merge request number (GitLab: the MR iid). */
  number: number;
  /** The provider's comment/note id once created. */
  comment_id: string | null;
  /** JSON `DeployRow[]`. */
  rows: string;
  /** 1 once the pull/merge request is closed: no more updates. */
  closed: number;
  /** A creation in progress until this time: others wait instead of creating a second one. */
  creating_until: string | null;
  updated_at: string;
}

export interface Database {
  events: EventsTable;
  event_payloads: EventPayloadsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  sticky_comments: StickyCommentsTable;
  notifications: NotificationsTable;
  notification_state_changes: NotificationStateChangesTable;
  api_tokens: ApiTokensTable;
}
