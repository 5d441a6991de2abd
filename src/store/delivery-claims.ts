/**
 * Claims: which deliveries a worker takes next, under a lease, and giving them back. A claim
 * reads the queue heads that are ready (`deliveries_ready`), never the queues behind them.
 */
import type { Kysely, Transaction } from "kysely";
import type { DeliveryRow } from "./deliveries-repository.js";
import { markQueueHeads, tryLockQueues } from "./delivery-queues.js";
import { isPostgres } from "./engine-of.js";
import { fromTemplate, type Slot, slots } from "./query-templates.js";
import type { Database } from "./schema.js";

/** A claimed delivery with the normalized event it carries. */
export interface ClaimedDelivery extends DeliveryRow {
  normalized: string;
}

export interface ClaimOptions {
  now: string;
  leaseUntil: string;
  limit: number;
  /** Kinds whose receivers want every event (webhooks): never superseded, only ordered. */
  everyEventKinds?: ReadonlySet<string>;
}

/**
 * Claims up to `limit` due deliveries, each the head of its (target, subject) queue with nothing
 * of that queue in flight, and leases them until `leaseUntil`, in the caller's transaction.
 * Heads older than what their target already received for that subject are marked superseded
 * instead (and the next delivery of their queue becomes the head). PostgreSQL:
 * `FOR UPDATE SKIP LOCKED`, so several processes claim disjoint rows.
 */
export async function claimDue(
  trx: Transaction<Database>,
  options: ClaimOptions,
): Promise<{ claimed: ClaimedDelivery[]; superseded: DeliveryRow[] }> {
  const { now, leaseUntil, limit, everyEventKinds } = options;
  if (limit <= 0) return { claimed: [], superseded: [] };
  const postgres = isPostgres(trx);
  const { rows: heads } = await trx.executeQuery(
    fromTemplate(trx, "claim", (slot) => headsQuery(trx, slot, postgres), [now, limit]),
  );
  if (heads.length === 0) return { claimed: [], superseded: [] };

  const newer = await newerDelivered(
    trx,
    heads
      .filter((head) => !everyEventKinds?.has(head.kind) && !closesAChange(head.normalized))
      .map((head) => head.id),
  );
  const superseded: DeliveryRow[] = [];
  if (newer.size > 0) {
    // Finishing a head moves its queue on: only under the queue's lock, and a queue whose lock
    // is busy right now is left for the next claim.
    const busy = await tryLockQueues(trx, [...newer.keys()]);
    for (const [id, newerId] of newer) {
      if (busy.has(id)) continue;
      await trx
        .updateTable("deliveries")
        .set({
          status: "superseded",
          lease_until: null,
          ready_at: null,
          last_error: `superseded: a newer event was already delivered (${newerId})`,
          updated_at: now,
          completed_at: now,
        })
        .where("id", "=", id)
        .execute();
      const head = heads.find((h) => h.id === id);
      if (head) {
        const { normalized: _event, ...row } = head;
        superseded.push({ ...row, status: "superseded", ready_at: null });
      }
    }
    await markQueueHeads(
      trx,
      superseded.map((row) => row.id),
    );
  }

  const taken = heads.filter((head) => !newer.has(head.id));
  if (taken.length > 0) {
    await trx.executeQuery(
      fromTemplate(
        trx,
        `lease:${taken.length}`,
        (slot) =>
          trx
            .updateTable("deliveries")
            .set((eb) => ({
              lease_until: slot(0),
              // In flight: claimable again only if the lease runs out (its process died).
              ready_at: slot(0),
              attempts: eb("attempts", "+", 1),
              updated_at: slot(1),
            }))
            .where("id", "in", slots(slot, 2, taken.length)),
        [leaseUntil, now, ...taken.map((head) => head.id)],
      ),
    );
  }
  // The event came with the head (the join above): no read per claimed row.
  const claimed = taken.map((head) => ({
    ...head,
    attempts: head.attempts + 1,
    lease_until: leaseUntil,
    ready_at: leaseUntil,
    normalized: head.normalized ?? "null",
  }));
  return { claimed, superseded };
}

/**
 * The due queue heads, oldest ready first, with their events: `slot(0)` is now, `slot(1)` the
 * limit.
 */
function headsQuery(trx: Transaction<Database>, slot: Slot, postgres: boolean) {
  const now = slot(0);
  const query = trx
    .selectFrom("deliveries as d")
    .innerJoin("events as e", "e.id", "d.event_id")
    .selectAll("d")
    .select("e.normalized")
    .where("d.ready_at", "<=", now)
    .where("d.status", "=", "pending")
    .where((eb) => eb.or([eb("d.lease_until", "is", null), eb("d.lease_until", "<", now)]))
    // The head of its queue: no older pending delivery. The bound on event_order lets the index
    // stop at the head instead of reading the queue behind it.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("deliveries as o")
            .select("o.id")
            .whereRef("o.target", "=", "d.target")
            .whereRef("o.subject", "=", "d.subject")
            .where("o.status", "=", "pending")
            .whereRef("o.event_order", "<=", "d.event_order")
            .whereRef("o.id", "<>", "d.id")
            .where((eb) =>
              eb.or([
                eb("o.event_order", "<", eb.ref("d.event_order")),
                eb("o.id", "<", eb.ref("d.id")),
              ]),
            ),
        ),
      ),
    )
    // Nothing of its queue in flight (a delivery of an older event may arrive while a newer one
    // is being sent).
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("deliveries as l")
            .select("l.id")
            .whereRef("l.target", "=", "d.target")
            .whereRef("l.subject", "=", "d.subject")
            .where("l.lease_until", ">=", now)
            .where("l.status", "=", "pending")
            .whereRef("l.id", "<>", "d.id"),
        ),
      ),
    )
    .orderBy("d.ready_at")
    .limit(slot<number>(1));
  // PostgreSQL: several processes claim at once; each takes rows no other holds.
  return postgres ? query.forUpdate("d").skipLocked() : query;
}

/**
 * For each of the deliveries `ids`, a delivery of the same target and subject already delivered
 * for a newer event, if any (one query for all of them).
 */
async function newerDelivered(
  trx: Transaction<Database>,
  ids: string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await trx.executeQuery(
    fromTemplate(
      trx,
      `newer-delivered:${ids.length}`,
      (slot) =>
        trx
          .selectFrom("deliveries as h")
          .select("h.id")
          .select((eb) =>
            eb
              .selectFrom("deliveries as s")
              .select("s.id")
              .whereRef("s.target", "=", "h.target")
              .whereRef("s.subject", "=", "h.subject")
              .where("s.status", "=", "succeeded")
              .whereRef("s.event_order", ">", "h.event_order")
              .limit(1)
              .as("newer"),
          )
          .where("h.id", "in", slots(slot, 0, ids.length)),
      ids,
    ),
  );
  const newer = new Map<string, string>();
  for (const row of rows) if (row.newer) newer.set(row.id, row.newer);
  return newer;
}

/** `claimDue` in a transaction of its own. */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: ClaimOptions,
): Promise<{ claimed: ClaimedDelivery[]; superseded: DeliveryRow[] }> {
  return db.transaction().execute((trx) => claimDue(trx, options));
}

/**
 * When the next claim may find something: the earliest time a queue head is ready (a retry, a
 * pause's end, a lease running out), if any. A head ready already but not claimed is waiting for
 * a delivery in flight, whose recording moves its queue on.
 */
export async function nextReadyAt(db: Kysely<Database>): Promise<string | undefined> {
  const { rows } = await db.executeQuery(
    fromTemplate(
      db,
      "next-ready",
      () =>
        db
          .selectFrom("deliveries")
          .select((eb) => eb.fn.min("ready_at").as("ready"))
          .where("ready_at", "is not", null),
      [],
    ),
  );
  return rows[0]?.ready ?? undefined;
}

/**
 * Frees every lease. Only for a single-process engine (SQLite) at start-up: no other process can
 * hold one, so what was in flight when the last process died is due again at once.
 */
export async function releaseAllLeases(db: Kysely<Database>): Promise<number> {
  const result = await db
    .updateTable("deliveries")
    .set((eb) => ({
      lease_until: null,
      ready_at: eb
        .case()
        .when("ready_at", "is", null)
        .then(null)
        .else(eb.ref("next_attempt_at"))
        .end(),
    }))
    .where("status", "=", "pending")
    .where("lease_until", "is not", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Puts a claimed delivery back without an attempt (its notification is paused, or the worker
 * stops before starting it): due again at `until`, and the claim's attempt number given back so
 * the retry schedule is not used up.
 */
export async function deferDelivery(
  db: Kysely<Database>,
  delivery: { id: string; attempt: number; until: string },
): Promise<void> {
  await db
    .updateTable("deliveries")
    .set((eb) => ({
      lease_until: null,
      next_attempt_at: delivery.until,
      ready_at: delivery.until,
      attempts: eb("attempts", "-", 1),
      updated_at: new Date().toISOString(),
    }))
    .where("id", "=", delivery.id)
    .where("attempts", "=", delivery.attempt)
    .where("status", "=", "pending")
    .execute();
}

/**
 * Takes a delivery for a manual resend: it becomes pending under a lease for `leaseUntil`, with
 * its attempt count up by one, unless it is in flight already (a live lease). Returns what it was.
 */
export async function claimForResend(
  db: Kysely<Database>,
  id: string,
  options: { now: string; leaseUntil: string },
): Promise<{ claimed: ClaimedDelivery; was: DeliveryRow } | { conflict: string } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("deliveries as d")
      .innerJoin("events as e", "e.id", "d.event_id")
      .selectAll("d")
      .select("e.normalized")
      .where("d.id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    const { normalized, ...was } = row;
    if (was.status === "pending" && was.lease_until !== null && was.lease_until > options.now) {
      return { conflict: "the delivery is being attempted right now; try again in a moment" };
    }
    const updated = await trx
      .updateTable("deliveries")
      .set({
        status: "pending",
        lease_until: options.leaseUntil,
        // Should this process die mid-attempt, a claim takes it up once the lease runs out.
        ready_at: options.leaseUntil,
        attempts: was.attempts + 1,
        completed_at: null,
        updated_at: options.now,
      })
      .where("id", "=", id)
      .where("attempts", "=", was.attempts)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      return { conflict: "the delivery changed while being taken; try again" };
    }
    return {
      was,
      claimed: {
        ...was,
        status: "pending",
        attempts: was.attempts + 1,
        lease_until: options.leaseUntil,
        ready_at: options.leaseUntil,
        normalized: normalized ?? "null",
      },
    };
  });
}

/**
 * Whether a delivery is about a closed pull/merge request (`change.closed`): closing a comment is
 * never superseded by a deploy delivered before it, whatever the two events' source times say.
 */
function closesAChange(normalized: string | null): boolean {
  if (normalized === null || !normalized.includes('"change.closed"')) return false;
  try {
    return (JSON.parse(normalized) as { kind?: unknown }).kind === "change.closed";
  } catch {
    return false;
  }
}
