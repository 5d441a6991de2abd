/**
 * Recording attempts: the delivery log rows, and each delivery moved on (finished, or pending
 * until its retry), with as few statements as a batch allows.
 */
import type { Kysely, Transaction } from "kysely";
import { insertDeliveryBatch } from "./deliveries-repository.js";
import { lockQueues, markQueueHeads } from "./delivery-queues.js";
import { newId } from "./ids.js";
import { fromTemplate, type Slot } from "./query-templates.js";
import type { AttemptOutcome, Database, DeliveryStatus } from "./schema.js";

/** What one attempt changed: the log row, and the delivery's new state. */
export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  httpStatus?: number;
  error?: string;
  response?: string;
  /** For `retry`: when the next attempt is due; absent when the schedule is exhausted. */
  nextAttemptAt?: string;
  /** JSON of the request sent, secrets redacted. */
  request?: string;
  /** JSON of the answer's headers. */
  responseHeaders?: string;
  /** Deliveries of the same event to write with this record (a notifier's follow-ups). */
  followUps?: {
    eventId: string;
    eventOrder: string;
    planned: Array<{ target: string; kind: string; subject: string }>;
  };
}

/** Rows per multi-row statement: far below either engine's limit on parameters. */
const CHUNK = 400;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function statusOf(record: AttemptRecord): DeliveryStatus {
  if (record.outcome === "succeeded") return "succeeded";
  if (record.outcome === "skipped") return "skipped";
  if (record.outcome === "retry" && record.nextAttemptAt) return "pending";
  return "failed";
}

/**
 * Records attempts inside the caller's transaction: one log row each, whatever happened to the
 * claim, and the delivery moved on only while it is still the claim the attempt belongs to (same
 * attempt number, still pending), so a late finisher after a lost lease cannot overwrite a newer
 * attempt's result. Follow-ups of the records that applied are written, and the queues of the
 * deliveries that finished move on to their next delivery. Returns the records that applied, in
 * their order.
 *
 * PostgreSQL: the caller holds the queues' locks (`lockQueues`, taken before anything else in the
 * transaction), unless the deliveries were written in this same transaction.
 */
export async function writeAttempts(
  trx: Transaction<Database>,
  records: readonly AttemptRecord[],
): Promise<AttemptRecord[]> {
  if (records.length === 0) return [];
  const now = new Date().toISOString();
  for (const part of chunks(records)) {
    const values = part.flatMap((record) => [
      newId("att"),
      record.deliveryId,
      record.attempt,
      record.startedAt,
      record.durationMs,
      record.outcome,
      record.httpStatus ?? null,
      record.error ?? null,
      record.response ?? null,
      statusOf(record) === "pending" ? (record.nextAttemptAt ?? null) : null,
      record.request ?? null,
      record.responseHeaders ?? null,
    ]);
    await trx.executeQuery(
      fromTemplate(
        trx,
        `insert-attempts:${part.length}`,
        (slot) =>
          trx.insertInto("delivery_attempts").values(
            part.map((_, i) => {
              const at: Slot = (k) => slot(12 * i + k);
              return {
                id: at(0),
                delivery_id: at(1),
                attempt: at<number>(2),
                started_at: at(3),
                duration_ms: at<number>(4),
                outcome: at<AttemptOutcome>(5),
                http_status: at<number | null>(6),
                error: at<string | null>(7),
                response: at<string | null>(8),
                next_attempt_at: at<string | null>(9),
                request: at<string | null>(10),
                response_headers: at<string | null>(11),
              };
            }),
          ),
        values,
      ),
    );
  }

  // One update per distinct new state: every success of a batch shares one.
  const groups = new Map<string, AttemptRecord[]>();
  for (const record of records) {
    const key = JSON.stringify([statusOf(record), record.error, record.nextAttemptAt]);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  const applied = new Set<string>();
  for (const group of groups.values()) {
    const first = group[0] as AttemptRecord;
    const status = statusOf(first);
    for (const part of chunks(group)) {
      const { rows } = await trx.executeQuery(
        fromTemplate(
          trx,
          `record-attempts:${part.length}`,
          (slot) =>
            trx
              .updateTable("deliveries")
              .set({
                status: slot<DeliveryStatus>(0),
                lease_until: null,
                ready_at: slot<string | null>(1),
                last_error: slot<string | null>(2),
                next_attempt_at: slot(3),
                updated_at: slot(4),
                completed_at: slot<string | null>(5),
              })
              .where("status", "=", "pending")
              .where((eb) =>
                eb.or(
                  part.map((_, i) =>
                    eb.and([
                      eb("id", "=", slot(6 + 2 * i)),
                      eb("attempts", "=", slot<number>(7 + 2 * i)),
                    ]),
                  ),
                ),
              )
              .returning(["id", "attempts"]),
          [
            status,
            status === "pending" ? (first.nextAttemptAt ?? now) : null,
            first.error ?? null,
            first.nextAttemptAt ?? now,
            now,
            status === "pending" ? null : now,
            ...part.flatMap((record) => [record.deliveryId, record.attempt]),
          ],
        ),
      );
      for (const row of rows) applied.add(`${row.id}|${Number(row.attempts)}`);
    }
  }
  const done = records.filter((record) => applied.has(`${record.deliveryId}|${record.attempt}`));

  const followUps = done.flatMap((record) =>
    record.followUps
      ? [
          {
            eventId: record.followUps.eventId,
            order: record.followUps.eventOrder,
            planned: record.followUps.planned,
          },
        ]
      : [],
  );
  if (followUps.length > 0) await insertDeliveryBatch(trx, followUps, now, { wait: false });
  await markQueueHeads(
    trx,
    done.filter((record) => statusOf(record) !== "pending").map((record) => record.deliveryId),
  );
  return done;
}

/**
 * Records attempts in one transaction of their own (see `writeAttempts`), after taking their
 * queues' locks. `afterApplied` runs in the same transaction for each record that applied.
 */
export async function recordAttempts(
  db: Kysely<Database>,
  records: AttemptRecord[],
  hooks: {
    /** Runs in the same transaction after a record that still belonged to its claim. */
    afterApplied?: (trx: Transaction<Database>, record: AttemptRecord) => Promise<void>;
  } = {},
): Promise<void> {
  if (records.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await lockQueues(
      trx,
      records.map((record) => record.deliveryId),
    );
    const applied = await writeAttempts(trx, records);
    if (hooks.afterApplied) for (const record of applied) await hooks.afterApplied(trx, record);
  });
}

/**
 * Records one attempt inside the caller's transaction (see `writeAttempts`); true when it still
 * belonged to its claim.
 */
export async function writeAttempt(
  trx: Transaction<Database>,
  record: AttemptRecord,
): Promise<boolean> {
  return (await writeAttempts(trx, [record])).length === 1;
}
