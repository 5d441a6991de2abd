/**
 * Follow-ups: target names a notifier returns with its result (a repository's `notify` list),
 * planned into deliveries of the same event by the injected planner and written in the
 * transaction that records the attempt, only if that attempt still belonged to its claim.
 */
import type { Transaction } from "kysely";
import type { DeployEvent } from "../events/deploy-event.js";
import type { AttemptResult } from "../notifiers/kit/notifier.js";
import { insertDeliveryInFlight } from "../store/deliveries-repository.js";
import { type AttemptRecord, writeAttempt } from "../store/delivery-records.js";
import { newId } from "../store/ids.js";
import type { Database } from "../store/schema.js";
import { attemptRecordOf } from "./attempt-record.js";
import type { FollowUpPlanner, SkippedDelivery } from "./delivery-plan.js";

/** The deliveries one attempt asks for, to write with its record. */
export interface FollowUps {
  /** Written pending by the store with the record (`AttemptRecord.followUps`). */
  record: NonNullable<AttemptRecord["followUps"]>;
  /** Written as finished, skipped deliveries by {@link writeSkippedFollowUps}. */
  skipped: SkippedDelivery[];
}

/**
 * The follow-ups of a finished attempt: none unless it succeeded or was skipped and named
 * targets (a failed or retried attempt will name them again on its next attempt).
 */
export function followUpsOf(
  result: AttemptResult,
  event: DeployEvent | undefined,
  delivery: { event_id: string; event_order: string },
  planFollowUps: FollowUpPlanner,
): FollowUps | undefined {
  if (result.outcome !== "succeeded" && result.outcome !== "skipped") return undefined;
  if (!result.followUps?.length || event === undefined) return undefined;
  const { planned, skipped } = planFollowUps(event, result.followUps);
  if (planned.length === 0 && skipped.length === 0) return undefined;
  return {
    record: { eventId: delivery.event_id, eventOrder: delivery.event_order, planned },
    skipped,
  };
}

/**
 * Writes each refused follow-up as a delivery that is finished at once: status `skipped`, with
 * one attempt giving the reason, so it shows in the delivery log next to the ones sent.
 */
export async function writeSkippedFollowUps(
  trx: Transaction<Database>,
  followUps: FollowUps,
): Promise<void> {
  const { eventId, eventOrder } = followUps.record;
  for (const skipped of followUps.skipped) {
    const now = new Date().toISOString();
    const deliveryId = newId("dlv");
    await insertDeliveryInFlight(trx, {
      id: deliveryId,
      eventId,
      target: skipped.target,
      kind: skipped.kind,
      subject: skipped.subject,
      order: eventOrder,
      now,
    });
    await writeAttempt(
      trx,
      attemptRecordOf(
        { outcome: "skipped", reason: skipped.reason },
        { deliveryId, attempt: 1, startedAt: now, durationMs: 0 },
      ),
    );
  }
}
