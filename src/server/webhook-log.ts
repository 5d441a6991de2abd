import type { Logger } from "../logging/logger.js";

import type { WebhookOutcome } from "../metrics/shipcast-metrics.js";

/** Why a request to a source route was refused: a metric label and a log fact. */
export type RejectionReason =
  | "method_not_allowed"
  | "source_off"
  | "unsupported_media_type"
  | "payload_too_large"
  | "missing_signature"
  | "invalid_signature"
  | "malformed_body"
  | "busy"
  | "store_unavailable"
  | "unknown_source"
  | "internal_error";

/** What one request to a source route came to: the facts of its log line and its metric. */
export interface WebhookRequest {
  source: string;
  /** The answer's status; 0 when the client went away before one was sent. */
  status: number;
  outcome: WebhookOutcome;
  reason?: RejectionReason;
  /** For people: what was missing or failed, never a secret or a signature. */
  detail?: string;
  /** The inbox event: the new one, or the earlier copy a duplicate repeats. */
  eventId?: string;
  /** The sender's own id of the delivery (`X-GitHub-Delivery`, …), when it gives one. */
  delivery?: string;
  ms: number;
}

/**
 * The one `info` line of a request to a source route:
 * `github webhook 202: accepted as evt_… (delivery 72d3…, 4 ms)`,
 * `gitlab webhook 401: X-Gitlab-Token does not verify with GITLAB_WEBHOOK_SECRET (1 ms)`.
 */
export function logWebhookRequest(log: Logger, request: WebhookRequest): void {
  const { source, status, outcome, eventId, delivery, ms } = request;
  const what =
    outcome === "accepted"
      ? `accepted as ${eventId}`
      : outcome === "duplicate"
        ? `duplicate of ${eventId}`
        : (request.detail ?? request.reason ?? outcome);
  const context = [delivery && `delivery ${delivery}`, `${ms} ms`].filter(Boolean).join(", ");
  const message =
    outcome === "aborted"
      ? `${source} webhook: the client went away before the answer (${context})`
      : `${source} webhook ${status}: ${what} (${context})`;
  log.info({ webhook: request }, message);
}
