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
  /** JSON object of the request headers, secrets redacted. */
  headers: string;
  /** The JSON payload as received (sanitized: live credentials removed). */
  body: string;
  status: EventStatus;
  /** Why it was ignored, or the error that failed it. */
  reason: string | null;
  /** JSON `DeployEvent` once normalized. */
  normalized: string | null;
  processed_at: string | null;
  attempts: Generated<number>;
}

export interface Database {
  events: EventsTable;
}
