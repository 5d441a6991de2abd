/**
 * The queues of the outbox: deliveries to one target about one subject go one at a time, in event
 * order. Only the head of a queue (its oldest pending delivery) carries `ready_at`, so a claim
 * reads the heads that are due and nothing else, however long the queues behind them.
 *
 * Keeping that true: whoever finishes a head marks the next one (`markQueueHeads`), and whoever
 * adds deliveries marks the head of their queues. A mark too many is harmless (a claim checks
 * that a row really is its queue's head); a mark missing would leave a queue waiting forever. On
 * PostgreSQL, where several processes write at once, a transaction that finishes a delivery
 * takes its queues' advisory locks first (`lockQueues`), in one sorted order so two of them never
 * wait for each other; a transaction that adds deliveries looks for the heads under the same
 * locks, or, when it cannot have them at once, marks every delivery it added (`settleNewDeliveries`).
 * SQLite has one writer at a time and needs no lock.
 */
import { sql, type Transaction } from "kysely";
import { isPostgres } from "./engine-of.js";
import { fromTemplate, slots } from "./query-templates.js";
import type { Database } from "./schema.js";

/** The advisory-lock key of the queue of the row `d`; the schema is part of it. */
const queueKey = sql`hashtextextended(current_schema() || chr(31) || d.target || chr(31) || d.subject, 0)`;

/**
 * PostgreSQL: waits for, then holds until the end of the transaction, the locks of the queues of
 * the deliveries `ids`, in key order. Call it before changing any of them. SQLite: nothing.
 */
export async function lockQueues(
  trx: Transaction<Database>,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0 || !isPostgres(trx)) return;
  await sql`
    select pg_advisory_xact_lock(k) from (
      select distinct ${queueKey} as k from deliveries d where d.id = any(${[...ids]})
      order by k
    ) as keys`.execute(trx);
}

/**
 * PostgreSQL: waits for and holds the locks of the queues of the deliveries `target` has in
 * `status`, in key order. For the rare changes that select deliveries by target (a replay).
 */
export async function lockQueuesOfTarget(
  trx: Transaction<Database>,
  target: string,
  status: string,
): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`
    select pg_advisory_xact_lock(k) from (
      select distinct ${queueKey} as k from deliveries d
      where d.target = ${target} and d.status = ${status}
      order by k
    ) as keys`.execute(trx);
}

/**
 * PostgreSQL: takes the locks of the queues of the deliveries `ids` that are free right now,
 * without waiting; returns the ids whose queue lock it could not have. SQLite: none.
 */
export async function tryLockQueues(
  trx: Transaction<Database>,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0 || !isPostgres(trx)) return new Set();
  const { rows } = await sql<{ id: string }>`
    select d.id from deliveries d
    join (
      select target, subject from (
        select distinct d.target, d.subject, ${queueKey} as k from deliveries d
        where d.id = any(${[...ids]})
      ) as queues
      where not pg_try_advisory_xact_lock(k)
    ) as busy on busy.target = d.target and busy.subject = d.subject
    where d.id = any(${[...ids]})`.execute(trx);
  return new Set(rows.map((row) => row.id));
}

/**
 * Marks the head of each queue the deliveries `ids` belong to as ready (from its next attempt
 * time), unless it is already. On PostgreSQL the caller holds those queues' locks.
 */
export async function markQueueHeads(
  trx: Transaction<Database>,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  // Two statements rather than one update over a subquery: each reads by index whatever the
  // planner thinks of the table's size.
  const { rows: heads } = await trx.executeQuery(
    fromTemplate(
      trx,
      `queue-heads:${ids.length}`,
      (slot) =>
        trx
          .selectFrom(
            trx
              .selectFrom("deliveries")
              .select(["target", "subject"])
              .distinct()
              .where("id", "in", slots(slot, 0, ids.length))
              .as("q"),
          )
          .select((eb) =>
            eb
              .selectFrom("deliveries as o")
              .select("o.id")
              .whereRef("o.target", "=", "q.target")
              .whereRef("o.subject", "=", "q.subject")
              .where("o.status", "=", "pending")
              .orderBy("o.event_order")
              .orderBy("o.id")
              .limit(1)
              .as("head"),
          ),
      ids,
    ),
  );
  const headIds = heads.flatMap((row) => (row.head ? [row.head] : []));
  if (headIds.length === 0) return;
  await trx.executeQuery(
    fromTemplate(
      trx,
      `mark-ready:${headIds.length}`,
      (slot) =>
        trx
          .updateTable("deliveries")
          .set((eb) => ({ ready_at: eb.ref("next_attempt_at") }))
          .where("id", "in", slots(slot, 0, headIds.length))
          .where("ready_at", "is", null)
          .where("status", "=", "pending"),
      headIds,
    ),
  );
}

/**
 * Makes the pending deliveries `ids`, just written in `trx`, claimable where they head their
 * queue. `wait`: wait for the queue locks (a transaction that holds no other queue lock, such as
 * the event worker's); otherwise a queue whose lock is busy gets all its new deliveries marked,
 * which is safe and only costs later claims a look.
 */
export async function settleNewDeliveries(
  trx: Transaction<Database>,
  ids: readonly string[],
  options: { wait: boolean },
): Promise<void> {
  if (ids.length === 0) return;
  if (options.wait) {
    await lockQueues(trx, ids);
    await markQueueHeads(trx, ids);
    return;
  }
  const busy = await tryLockQueues(trx, ids);
  await markQueueHeads(
    trx,
    ids.filter((id) => !busy.has(id)),
  );
  if (busy.size > 0) {
    await trx
      .updateTable("deliveries")
      .set((eb) => ({ ready_at: eb.ref("next_attempt_at") }))
      .where("id", "in", [...busy])
      .where("status", "=", "pending")
      .execute();
  }
}
