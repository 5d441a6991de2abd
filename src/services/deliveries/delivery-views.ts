/** Deliveries and attempts as the API answers them and the dashboard shows them. */
import type { ManualAttempt } from "../../delivery/manual-delivery.js";
import type { RequestFacts } from "../../notifiers/kit/notifier.js";
import type { AttemptRow, DeliveryRow } from "../../store/deliveries-repository.js";
import type { AttemptOutcome, DeliveryStatus } from "../../store/schema.js";

/** The fields of a delivery shown in lists. */
export interface DeliverySummary {
  id: string;
  event_id: string;
  target: string;
  kind: string;
  status: DeliveryStatus;
  /** A pending delivery under a live lease: being attempted right now. */
  in_flight: boolean;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** One attempt of a delivery: the request sent (secrets redacted) and the answer. */
export interface AttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  outcome: AttemptOutcome;
  http_status: number | null;
  error: string | null;
  response: string | null;
  response_headers: Record<string, string> | null;
  request: RequestFacts | null;
  next_attempt_at: string | null;
}

/** A delivery with every attempt still in the log, oldest first. */
export interface DeliveryDetail extends Omit<DeliverySummary, "attempts"> {
  attempts: AttemptView[];
}

/** A manual attempt as answered: no request is `null` (never left out). */
export type ManualAttemptView = Omit<ManualAttempt, "request"> & {
  request: NonNullable<ManualAttempt["request"]> | null;
};

/** The view of a delivery row. `now` decides whether a lease is still live. */
export function deliverySummary(row: DeliveryRow, now = Date.now()): DeliverySummary {
  return {
    id: row.id,
    event_id: row.event_id,
    target: row.target,
    kind: row.kind,
    status: row.status,
    in_flight:
      row.status === "pending" && row.lease_until !== null && Date.parse(row.lease_until) > now,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? row.next_attempt_at : null,
    last_error: row.last_error,
    created_at: row.created_at,
    updated_at: row.updated_at,
    completed_at: row.completed_at,
  };
}

/** The view of an attempt row. */
export function attemptView(row: AttemptRow): AttemptView {
  const responseHeaders: Record<string, string> | null =
    row.response_headers === null ? null : JSON.parse(row.response_headers);
  const request: RequestFacts | null = row.request === null ? null : JSON.parse(row.request);
  return {
    attempt: row.attempt,
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    outcome: row.outcome,
    http_status: row.http_status,
    error: row.error,
    response: row.response,
    response_headers: responseHeaders,
    request,
    next_attempt_at: row.next_attempt_at,
  };
}

/** The view of a manual attempt (test send or resend). */
export function manualAttemptView(attempt: ManualAttempt): ManualAttemptView {
  return { ...attempt, request: attempt.request ?? null };
}
