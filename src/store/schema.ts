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
  /** The kind of source (`github`, `bitrise`…; `shipcast` for Shipcast's own events). */
  source: string;
  /**
   * The source that received it: `env_<kind>` for the environment-variable routes, the id of a
   * source managed through the API (`src_…`); null for Shipcast's own events and older rows.
   */
  source_id: string | null;
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

/**
 * A source managed through the API (`/api/v1/sources`): its own route
 * (`/api/sources/<id>/webhooks`) and secrets. The secrets are an AES-256-GCM envelope
 * (`secret-box.ts`) of `{"secret": …, "previous": …}`, never clear text.
 */
export interface SourcesTable {
  /** `src_` + random: unguessable, part of the source's URL. */
  id: string;
  /** `github`, `gitlab`, `netlify`, `bitrise`, `qovery` or `generic`. */
  kind: string;
  name: string;
  /** 0 once disabled: its route answers 404, like an unknown id. */
  enabled: number;
  /** Encrypted JSON `{secret, previous?}`. */
  secrets: string;
  /** Until when the previous secret is still accepted (rotation grace), or null. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
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

/** A signed-in dashboard session (see `sessions-repository.ts`). */
export interface DashboardSessionsTable {
  /** Hex SHA-256 of the secret in the session cookie. */
  id: string;
  /** `admin` (SHIPCAST_ADMIN_TOKEN) or `token` (an API token). */
  principal: "admin" | "token";
  /** The API token signed in with; its revocation ends the session. */
  token_id: string | null;
  /** For `admin`: HMAC of the admin token keyed with the cookie's secret; a new token ends it. */
  admin_check: string | null;
  /** The synchronizer token every form of this session carries. */
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  /** The session ends then at the latest, however active. */
  expires_at: string;
}

/**
 * A build hook (`/api/v1/build_hooks`): a URL that starts a build when POSTed to. The URL's
 * secret part is shown once and stored only as its SHA-256; `id` is the public handle the API
 * and the delivery log use. The target's secrets (a GitLab trigger token, a URL's signing
 * secrets) are an AES-256-GCM envelope, as for notifications.
 */
export interface BuildHooksTable {
  /** `bhk_` + random: the public handle, never part of the hook's URL. */
  id: string;
  title: string;
  /** 0 when disabled: the URL answers 404, exactly as an unknown one. */
  enabled: number;
  /** Hex SHA-256 of the URL's secret part: the lookup key (unique). */
  url_hash: string;
  /** The secret part's first characters, to tell hooks apart in lists. */
  url_hint: string;
  /** `github_workflow`, `gitlab_pipeline` or `url`. */
  target_type: string;
  /** JSON of the target without its secrets. */
  target: string;
  /** Encrypted JSON of the target's secrets, or null when there are none. */
  secrets: string | null;
  /** 1 when `?trigger_branch=` may replace the target's ref. */
  allow_branch_override: number;
  rate_limit_per_minute: number;
  /** The project name `build.requested` events carry; null: derived from the target. */
  project: string | null;
  /** The environment `build.requested` events carry; null: production. */
  environment_name: string | null;
  environment_type: string | null;
  created_at: string;
  updated_at: string;
  /** When the URL was last replaced (`rotate`). */
  url_rotated_at: string | null;
}

/** One accepted trigger of a build hook; its id is the `build.requested` event's. */
export interface BuildHookTriggersTable {
  id: string;
  hook_id: string;
  received_at: string;
  /** The ref asked for. */
  ref: string | null;
  /** `trigger_title`, when given. */
  title: string | null;
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
  dashboard_sessions: DashboardSessionsTable;
  sources: SourcesTable;
  build_hooks: BuildHooksTable;
  build_hook_triggers: BuildHookTriggersTable;
}
