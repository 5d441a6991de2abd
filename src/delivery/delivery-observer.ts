/**
 * What the delivery workers tell the outside about their work: every finished attempt and every
 * superseded delivery, for the log and the metrics. The workers call an injected observer; the
 * log lines are here, the metrics implement the same interface (`metrics/`).
 */
import type { Logger } from "../logging/logger.js";
import { printable } from "../logging/printable.js";
import type { ClaimedDelivery } from "../store/delivery-claims.js";
import type { AttemptRecord } from "../store/delivery-records.js";

/** One attempt, once recorded. */
export interface FinishedAttempt {
  deliveryId: string;
  eventId: string;
  /** The target's name: a routing-file target or a notification id. */
  target: string;
  /** The output kind (`slack`, `webhook`, …). */
  kind: string;
  /** 1 for the first attempt. */
  attempt: number;
  outcome: AttemptRecord["outcome"];
  /** HTTP status (or SMTP reply code) of the answer, when there was one. */
  httpStatus?: number;
  /** Why it failed or was skipped (secrets redacted by the notifier). */
  error?: string;
  durationMs: number;
  /** Where the delivery stands now: `pending` when a retry is scheduled for `nextAttemptAt`. */
  status: "succeeded" | "skipped" | "pending" | "failed";
  nextAttemptAt?: string;
}

/** Receives what the delivery workers did; must not throw. */
export interface DeliveryObserver {
  attemptFinished(attempt: FinishedAttempt): void;
  /** Deliveries dropped because a newer event about the same subject replaces them. */
  superseded(deliveries: ReadonlyArray<Pick<ClaimedDelivery, "id" | "target" | "kind">>): void;
}

/** The finished attempt of `delivery` as `record` recorded it. */
export function finishedAttemptOf(
  delivery: Pick<ClaimedDelivery, "id" | "event_id" | "target" | "kind">,
  record: AttemptRecord,
): FinishedAttempt {
  const status =
    record.outcome === "succeeded" || record.outcome === "skipped"
      ? record.outcome
      : record.outcome === "retry" && record.nextAttemptAt
        ? "pending"
        : "failed";
  return {
    deliveryId: delivery.id,
    eventId: delivery.event_id,
    target: delivery.target,
    kind: delivery.kind,
    attempt: record.attempt,
    outcome: record.outcome,
    httpStatus: record.httpStatus,
    error: record.error,
    durationMs: record.durationMs,
    status,
    nextAttemptAt: status === "pending" ? record.nextAttemptAt : undefined,
  };
}

/** Tells each observer in turn. */
export function observeAll(...observers: Array<DeliveryObserver | undefined>): DeliveryObserver {
  const present = observers.filter((o): o is DeliveryObserver => o !== undefined);
  return {
    attemptFinished: (attempt) => {
      for (const o of present) o.attemptFinished(attempt);
    },
    superseded: (deliveries) => {
      for (const o of present) o.superseded(deliveries);
    },
  };
}

/**
 * The log lines of the deliveries: a success at `info`, a failed attempt with its retry at
 * `warn`, a delivery given up at `error`, a skipped or superseded one at `info`.
 */
export function deliveryLogObserver(log: Logger): DeliveryObserver {
  return {
    attemptFinished(a) {
      const facts = { attempt: a };
      const to = `delivery ${a.deliveryId} of event ${a.eventId} to ${a.target} (${a.kind})`;
      const answer = a.httpStatus !== undefined ? `${a.httpStatus}, ` : "";
      const took = `in ${a.durationMs} ms`;
      const why = printable(a.error ?? "no reason given", 500);
      if (a.status === "succeeded") {
        log.info(facts, `${to}: delivered, attempt ${a.attempt}, ${answer}${took}`);
      } else if (a.status === "skipped") {
        log.info(facts, `${to}: ${a.error === undefined ? "skipped" : why}`);
      } else if (a.status === "pending") {
        log.warn(
          facts,
          `${to}: attempt ${a.attempt} failed (${answer}${why}) ${took}; next attempt at ${a.nextAttemptAt}`,
        );
      } else {
        log.error(facts, `${to}: gave up after attempt ${a.attempt} (${answer}${why})`);
      }
    },
    superseded(deliveries) {
      for (const d of deliveries) {
        log.info(
          { attempt: { deliveryId: d.id, target: d.target, kind: d.kind, status: "superseded" } },
          `delivery ${d.id} to ${d.target} (${d.kind}): superseded by a newer event`,
        );
      }
    },
  };
}
