/**
 * Deliveries a user asks for through the API, sent at once rather than by the workers: a test
 * send of a sample event (GitLab's Test button), a resend of one delivery (same delivery id, a
 * new attempt), and a replay that re-queues a target's failures for the workers. Every attempt is
 * recorded in the delivery log like the workers' own.
 */
import type { DeployEvent, DeployEventKind } from "../events/deploy-event.js";
import { sampleEvent } from "../events/sample-event.js";
import { type AttemptResult, defaultSubject } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import type { Store } from "../store/database.js";
import {
  eventOrder,
  insertDeliveryInFlight,
  requeueFailed,
} from "../store/deliveries-repository.js";
import { claimForResend } from "../store/delivery-claims.js";
import { type AttemptRecord, recordAttempts, writeAttempt } from "../store/delivery-records.js";
import { insertSystemEvent } from "../store/events-repository.js";
import { newId } from "../store/ids.js";
import { attemptRecordOf } from "./attempt-record.js";
import { type DeliveryObserver, finishedAttemptOf } from "./delivery-observer.js";
import type { FollowUpPlanner, TargetDirectory } from "./delivery-plan.js";
import { type TargetHealth, targetOutcomeOf } from "./delivery-worker.js";
import { followUpsOf, writeSkippedFollowUps } from "./follow-ups.js";

/** What the API answers for a test send or a resend: the attempt. */
export interface ManualAttempt {
  delivery_id: string;
  event_id: string;
  target: string;
  attempt: number;
  /** The delivery's status after the attempt. */
  status: string;
  outcome: AttemptResult["outcome"];
  started_at: string;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
  /** The answer's body, truncated at 16 KB. */
  response: string | null;
  response_headers: Record<string, string> | null;
  request: AttemptResult["request"] | null;
}

export class ManualDeliveryError extends Error {
  override name = "ManualDeliveryError";
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface ManualDeliveryOptions {
  store: Store;
  registry: NotifierRegistry;
  targets: TargetDirectory;
  /** The planner's answer to target names a resent delivery's notifier returns (see the worker). */
  planFollowUps: FollowUpPlanner;
  health: TargetHealth;
  timeoutMs: number;
  /** Wakes the delivery workers (after a replay). */
  wake: () => void;
  /**
   * Told of each test send and resend once its record is committed, like the workers' attempts
   * (the log lines, the metrics).
   */
  observer?: DeliveryObserver;
}

export class ManualDelivery {
  constructor(private readonly options: ManualDeliveryOptions) {}

  private async attempt(
    targetName: string,
    kind: string,
    event: DeployEvent,
    ids: { deliveryId: string; eventId: string },
    attempt: number,
  ): Promise<{ result: AttemptResult; startedAt: string; durationMs: number }> {
    const target = this.options.targets.get(targetName);
    const notifier = this.options.registry.get(kind);
    const startedAt = new Date().toISOString();
    const started = performance.now();
    let result: AttemptResult;
    if (!target || target.kind !== kind) {
      result = { outcome: "failed", error: `target "${targetName}" is no longer configured` };
    } else if (!notifier) {
      result = { outcome: "failed", error: `no notifier for kind "${kind}"` };
    } else if (notifier.accepts && !notifier.accepts(event)) {
      result = { outcome: "skipped", reason: `a ${kind} output does not serve this event` };
    } else {
      try {
        result = await notifier.deliver(target.settings, {
          deliveryId: ids.deliveryId,
          eventId: ids.eventId,
          event,
          attempt,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          deadline: Date.now() + this.options.timeoutMs,
        });
      } catch (error) {
        result = { outcome: "retry", error: `notifier error: ${(error as Error).message}` };
      }
    }
    return { result, startedAt, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * Sends a sample event of `kind` to a target now and records it (as a `shipcast` event with
   * one delivery), so it shows in the target's deliveries and can be resent. Test sends do not
   * change the target's health and are not retried.
   */
  async test(targetName: string, kind: DeployEventKind): Promise<ManualAttempt> {
    const target = this.options.targets.get(targetName);
    if (!target) throw new ManualDeliveryError(404, `no notification ${targetName}`);
    const ids = { deliveryId: newId("dlv"), eventId: newId("evt") };
    const event = sampleEvent(kind, new Date());
    const { result, startedAt, durationMs } = await this.attempt(
      targetName,
      target.kind,
      event,
      ids,
      1,
    );
    const record = attemptRecordOf(result, {
      deliveryId: ids.deliveryId,
      attempt: 1,
      startedAt,
      durationMs,
    });
    const now = new Date().toISOString();
    await this.options.store.db.transaction().execute(async (trx) => {
      const normalized = JSON.stringify(event);
      await insertSystemEvent(trx, {
        id: ids.eventId,
        eventName: "test",
        dedupeKey: `test:${ids.eventId}`,
        normalized,
        now,
      });
      await insertDeliveryInFlight(trx, {
        id: ids.deliveryId,
        eventId: ids.eventId,
        target: targetName,
        kind: target.kind,
        subject: `test|${defaultSubject(event)}`,
        order: eventOrder(event.occurredAt, ids.eventId),
        now,
      });
      await writeAttempt(trx, record);
    });
    this.options.observer?.attemptFinished(
      finishedAttemptOf(
        { id: ids.deliveryId, event_id: ids.eventId, target: targetName, kind: target.kind },
        record,
      ),
    );
    return view(ids, targetName, record, result);
  }

  /**
   * Sends one delivery again now, with the same delivery id, as a new attempt. A pending delivery
   * keeps its schedule if this attempt fails; a finished one is failed again. The outcome counts
   * for the target's health like any attempt.
   */
  async resend(deliveryId: string): Promise<ManualAttempt> {
    const now = Date.now();
    const taken = await claimForResend(this.options.store.db, deliveryId, {
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + this.options.timeoutMs + 5000).toISOString(),
    });
    if (taken === undefined) throw new ManualDeliveryError(404, `no delivery ${deliveryId}`);
    if ("conflict" in taken) throw new ManualDeliveryError(409, taken.conflict);
    const { claimed, was } = taken;
    const event = JSON.parse(claimed.normalized) as DeployEvent;
    const ids = { deliveryId: claimed.id, eventId: claimed.event_id };
    const { result, startedAt, durationMs } = await this.attempt(
      claimed.target,
      claimed.kind,
      event,
      ids,
      claimed.attempts,
    );
    const record = attemptRecordOf(result, {
      deliveryId: claimed.id,
      attempt: claimed.attempts,
      startedAt,
      durationMs,
    });
    if (result.outcome === "retry" && was.status === "pending") {
      // It was waiting for a retry: this manual attempt does not use up its schedule.
      record.nextAttemptAt = was.next_attempt_at;
    }
    const outcome = targetOutcomeOf(result);
    const tracked = this.options.health.targetState(claimed.target) !== undefined;
    // A resent repository `notify` reading plans its targets again, as the workers would.
    const followUps = followUpsOf(result, event, claimed, this.options.planFollowUps);
    if (followUps) record.followUps = followUps.record;
    await recordAttempts(this.options.store.db, [record], {
      afterApplied: async (trx) => {
        if (followUps?.skipped.length) await writeSkippedFollowUps(trx, followUps);
        if (outcome && tracked)
          await this.options.health.applyOutcome(trx, claimed.target, outcome);
      },
    });
    this.options.observer?.attemptFinished(finishedAttemptOf(claimed, record));
    if (tracked) await this.options.health.reload();
    this.options.wake();
    return view(ids, claimed.target, record, result);
  }

  /** Re-queues a target's failed deliveries created since `since`; the workers send them. */
  async replay(targetName: string, since: Date): Promise<number> {
    const count = await requeueFailed(
      this.options.store.db,
      targetName,
      since.toISOString(),
      new Date().toISOString(),
    );
    if (count > 0) this.options.wake();
    return count;
  }
}

function view(
  ids: { deliveryId: string; eventId: string },
  target: string,
  record: AttemptRecord,
  result: AttemptResult,
): ManualAttempt {
  const status =
    result.outcome === "succeeded"
      ? "succeeded"
      : result.outcome === "skipped"
        ? "skipped"
        : record.nextAttemptAt
          ? "pending"
          : "failed";
  return {
    delivery_id: ids.deliveryId,
    event_id: ids.eventId,
    target,
    attempt: record.attempt,
    status,
    outcome: result.outcome,
    started_at: record.startedAt,
    duration_ms: record.durationMs,
    http_status: record.httpStatus ?? null,
    error: record.error ?? null,
    response: record.response ?? null,
    response_headers: result.responseHeaders ?? null,
    request: result.request ?? null,
  };
}
