import type { Kysely, Selectable, Transaction } from "kysely";
import { lockQueuesOfTarget, markQueueHeads, settleNewDeliveries } from "./delivery-queues.js";
import { type Page, paginate } from "./events-repository.js";
import { newId } from "./ids.js";
import { fromTemplate, type Slot } from "./query-templates.js";
import type { Database, DeliveriesTable, DeliveryAttemptsTable, DeliveryStatus } from "./schema.js";
import { countDeliveryStatuses } from "./status-counts.js";

export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<DeliveryAttemptsTable>;

/** The sortable position of an event among the events of one subject. */
export function eventOrder(occurredAt: string, eventId: string): string {
  return `${occurredAt}|${eventId}`;
}

/** The outbox rows of one event to write: its deliveries, and where the event stands. */
export interface EventDeliveries {
  eventId: string;
  /** `eventOrder(occurredAt, eventId)`. */
  order: string;
  planned: Array<{ target: string; kind: string; subject: string }>;
}

/**
 * Writes the outbox rows of one event, inside the caller's transaction, and makes the ones that
 * head their queue claimable. Never waits for another transaction (it may run inside one that
 * records attempts): see `insertDeliveryBatch`.
 */
export async function insertDeliveries(
  trx: Transaction<Database>,
  eventId: string,
  order: string,
  planned: Array<{ target: string; kind: string; subject: string }>,
  now: string,
): Promise<void> {
  await insertDeliveryBatch(trx, [{ eventId, order, planned }], now, { wait: false });
}

/**
 * Writes the outbox rows of several events in one statement (per few hundred rows), inside the
 * caller's transaction, and makes the ones that head their queue claimable. `wait`: on
 * PostgreSQL, wait for the locks of their queues to find the heads (only in a transaction that
 * holds no other queue lock); otherwise a busy queue gets all its new rows marked claimable,
 * which is safe (see `delivery-queues.ts`). Returns how many rows were written.
 */
export async function insertDeliveryBatch(
  trx: Transaction<Database>,
  events: readonly EventDeliveries[],
  now: string,
  options: { wait: boolean },
): Promise<number> {
  const rows = events.flatMap((event) =>
    event.planned.map((p) => ({
      id: newId("dlv"),
      event_id: event.eventId,
      target: p.target,
      kind: p.kind,
      subject: p.subject,
      event_order: event.order,
      status: "pending" as const,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    })),
  );
  for (let i = 0; i < rows.length; i += 400) {
    const part = rows.slice(i, i + 400);
    // A template per row count: the event worker writes a few rows per batch, all day long.
    await trx.executeQuery(
      fromTemplate(
        trx,
        `insert-deliveries:${part.length}`,
        (slot) =>
          trx.insertInto("deliveries").values(
            part.map((_, r) => {
              const at: Slot = (k) => slot(10 * r + k);
              return {
                id: at(0),
                event_id: at(1),
                target: at(2),
                kind: at(3),
                subject: at(4),
                event_order: at(5),
                status: at<"pending">(6),
                next_attempt_at: at(7),
                created_at: at(8),
                updated_at: at(9),
              };
            }),
          ),
        part.flatMap((row) => [
          row.id,
          row.event_id,
          row.target,
          row.kind,
          row.subject,
          row.event_order,
          row.status,
          row.next_attempt_at,
          row.created_at,
          row.updated_at,
        ]),
      ),
    );
  }
  await settleNewDeliveries(
    trx,
    rows.map((row) => row.id),
    options,
  );
  return rows.length;
}

/**
 * Makes a target's pending deliveries that wait for a later attempt due at `now` (its pause
 * ended early: re-enabled through the API), inside the caller's transaction.
 */
export async function makeWaitingDeliveriesDue(
  trx: Transaction<Database>,
  target: string,
  now: string,
): Promise<void> {
  await trx
    .updateTable("deliveries")
    .set((eb) => ({
      next_attempt_at: now,
      // A head waiting for its retry is ready now; the deliveries behind it still wait for it.
      ready_at: eb.case().when("ready_at", "is", null).then(null).else(now).end(),
      updated_at: now,
    }))
    .where("target", "=", target)
    .where("status", "=", "pending")
    .where("next_attempt_at", ">", now)
    .execute();
}

export interface DeliveryFilter {
  eventId?: string;
  target?: string;
  status?: DeliveryStatus;
}

/** Deliveries newest first, filtered, one page after the cursor. */
export async function listDeliveries(
  db: Kysely<Database>,
  filter: DeliveryFilter,
  page: { limit: number; after?: string },
): Promise<Page<DeliveryRow>> {
  let query = db.selectFrom("deliveries");
  if (filter.eventId) query = query.where("event_id", "=", filter.eventId);
  if (filter.target) query = query.where("target", "=", filter.target);
  if (filter.status) query = query.where("status", "=", filter.status);
  const after = page.after;
  return paginate(
    query.select((eb) => eb.fn.countAll<number | string>().as("total")).executeTakeFirstOrThrow(),
    (limit) =>
      (after ? query.where("id", "<", after) : query)
        .selectAll()
        .orderBy("id", "desc")
        .limit(limit)
        .execute(),
    page.limit,
  );
}

export async function getDelivery(
  db: Kysely<Database>,
  id: string,
): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] } | undefined> {
  const delivery = await db
    .selectFrom("deliveries")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!delivery) return undefined;
  const attempts = await db
    .selectFrom("delivery_attempts")
    .selectAll()
    .where("delivery_id", "=", id)
    .orderBy("attempt")
    .execute();
  return { delivery, attempts };
}

/** Number of deliveries in each status. */
export async function countDeliveriesByStatus(
  db: Kysely<Database>,
): Promise<Record<DeliveryStatus, number>> {
  return countDeliveryStatuses(db);
}

/**
 * Inserts a delivery that is being attempted right now, inside `trx`, to be recorded in the same
 * transaction (a test send, a refused follow-up): nobody else ever sees it pending, so it is not
 * made claimable.
 */
export async function insertDeliveryInFlight(
  trx: Transaction<Database>,
  input: {
    id: string;
    eventId: string;
    target: string;
    kind: string;
    subject: string;
    order: string;
    now: string;
  },
): Promise<void> {
  await trx
    .insertInto("deliveries")
    .values({
      id: input.id,
      event_id: input.eventId,
      target: input.target,
      kind: input.kind,
      subject: input.subject,
      event_order: input.order,
      status: "pending",
      attempts: 1,
      next_attempt_at: input.now,
      lease_until: input.now,
      created_at: input.now,
      updated_at: input.now,
    })
    .execute();
}

/**
 * Re-queues a target's failed deliveries created since `since`: pending and due now, each queue
 * from its oldest delivery. Returns how many.
 */
export async function requeueFailed(
  db: Kysely<Database>,
  target: string,
  since: string,
  now: string,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockQueuesOfTarget(trx, target, "failed");
    const requeued = await trx
      .updateTable("deliveries")
      .set({
        status: "pending",
        next_attempt_at: now,
        lease_until: null,
        ready_at: null,
        completed_at: null,
        updated_at: now,
      })
      .where("target", "=", target)
      .where("status", "=", "failed")
      .where("created_at", ">=", since)
      .returning(["id", "subject"])
      .execute();
    // They are older than what their queues hold now: each queue starts again from its oldest
    // (a delivery in flight keeps its mark, and its queue waits for it).
    const subjects = [...new Set(requeued.map((row) => row.subject))];
    for (let i = 0; i < subjects.length; i += 400) {
      await trx
        .updateTable("deliveries")
        .set({ ready_at: null })
        .where("target", "=", target)
        .where("subject", "in", subjects.slice(i, i + 400))
        .where("status", "=", "pending")
        .where("lease_until", "is", null)
        .execute();
    }
    const ids = requeued.map((row) => row.id);
    for (let i = 0; i < ids.length; i += 400) await markQueueHeads(trx, ids.slice(i, i + 400));
    return ids.length;
  });
}

/**
 * Deletes attempts older than `before`, and the stored payloads of finished events received
 * before it. Deliveries and events themselves stay (their status is the history).
 */
export async function pruneDeliveryLog(
  db: Kysely<Database>,
  before: string,
): Promise<{ attempts: number; payloads: number }> {
  return db.transaction().execute(async (trx) => {
    const attempts = await trx
      .deleteFrom("delivery_attempts")
      .where("started_at", "<", before)
      .executeTakeFirst();
    const payloads = await trx
      .deleteFrom("event_payloads")
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom("events")
            .select("events.id")
            .whereRef("events.id", "=", "event_payloads.event_id")
            .where("events.received_at", "<", before)
            .where("events.status", "<>", "pending"),
        ),
      )
      .executeTakeFirst();
    return {
      attempts: Number(attempts.numDeletedRows),
      payloads: Number(payloads.numDeletedRows),
    };
  });
}
