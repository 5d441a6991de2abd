import type { Kysely, Selectable, Transaction } from "kysely";
import { type Page, paginate } from "./events-repository.js";
import { newId } from "./ids.js";
import type {
  AttemptOutcome,
  Database,
  DeliveriesTable,
  DeliveryAttemptsTable,
  DeliveryStatus,
} from "./schema.js";
import { countDeliveryStatuses } from "./status-counts.js";

export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<DeliveryAttemptsTable>;

/** A claimed delivery with the normalized event it carries. */
export interface ClaimedDelivery extends DeliveryRow {
  normalized: string;
}

/** The sortable position of an event among the events of one subject. */
export function eventOrder(occurredAt: string, eventId: string): string {
  return `${occurredAt}|${eventId}`;
}

/** Writes the outbox rows of one event, inside the caller's transaction. */
export async function insertDeliveries(
  trx: Transaction<Database>,
  eventId: string,
  order: string,
  planned: Array<{ target: string; kind: string; subject: string }>,
  now: string,
): Promise<void> {
  if (planned.length === 0) return;
  await trx
    .insertInto("deliveries")
    .values(
      planned.map((p) => ({
        id: newId("dlv"),
        event_id: eventId,
        target: p.target,
        kind: p.kind,
        subject: p.subject,
        event_order: order,
        status: "pending" as const,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
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
    .set({ next_attempt_at: now, updated_at: now })
    .where("target", "=", target)
    .where("status", "=", "pending")
    .where("next_attempt_at", ">", now)
    .execute();
}

/**
 * Claims up to `limit` due deliveries, each the head of its (target, subject) queue with nothing
 * of that queue in flight, and leases them until `leaseUntil`. In the same transaction, heads
 * older than what their target already received for that subject are marked superseded.
 * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several processes claim disjoint rows.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: {
    engine: "sqlite" | "postgres";
    now: string;
    leaseUntil: string;
    limit: number;
    /** Kinds whose receivers want every event (webhooks): never superseded, only ordered. */
    everyEventKinds?: ReadonlySet<string>;
  },
): Promise<{ claimed: ClaimedDelivery[]; superseded: DeliveryRow[] }> {
  const { engine, now, leaseUntil, limit, everyEventKinds } = options;
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom("deliveries as d")
      .innerJoin("events as e", "e.id", "d.event_id")
      .selectAll("d")
      .select("e.normalized")
      .where("d.status", "=", "pending")
      .where("d.next_attempt_at", "<=", now)
      .where((eb) => eb.or([eb("d.lease_until", "is", null), eb("d.lease_until", "<", now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("deliveries as o")
              .select("o.id")
              .whereRef("o.target", "=", "d.target")
              .whereRef("o.subject", "=", "d.subject")
              .where("o.status", "=", "pending")
              .whereRef("o.id", "<>", "d.id")
              .where((eb) =>
                eb.or([
                  eb("o.event_order", "<", eb.ref("d.event_order")),
                  eb.and([
                    eb("o.event_order", "=", eb.ref("d.event_order")),
                    eb("o.id", "<", eb.ref("d.id")),
                  ]),
                  eb("o.lease_until", ">=", now),
                ]),
              ),
          ),
        ),
      )
      .orderBy("d.event_order")
      .limit(limit);
    if (engine === "postgres") query = query.forUpdate("d").skipLocked();
    const heads = await query.execute();

    const claimed: ClaimedDelivery[] = [];
    const superseded: DeliveryRow[] = [];
    for (const head of heads) {
      const newer = everyEventKinds?.has(head.kind)
        ? undefined
        : await trx
            .selectFrom("deliveries")
            .select("id")
            .where("target", "=", head.target)
            .where("subject", "=", head.subject)
            .where("status", "=", "succeeded")
            .where("event_order", ">", head.event_order)
            .limit(1)
            .executeTakeFirst();
      if (newer) {
        await trx
          .updateTable("deliveries")
          .set({
            status: "superseded",
            lease_until: null,
            last_error: `superseded: a newer event was already delivered (${newer.id})`,
            updated_at: now,
            completed_at: now,
          })
          .where("id", "=", head.id)
          .execute();
        const { normalized: _event, ...row } = head;
        superseded.push({ ...row, status: "superseded" });
        continue;
      }
      await trx
        .updateTable("deliveries")
        .set((eb) => ({
          lease_until: leaseUntil,
          attempts: eb("attempts", "+", 1),
          updated_at: now,
        }))
        .where("id", "=", head.id)
        .execute();
      // The event came with the head (the join above): no read per claimed row.
      claimed.push({
        ...head,
        attempts: head.attempts + 1,
        lease_until: leaseUntil,
        normalized: head.normalized ?? "null",
      });
    }
    return { claimed, superseded };
  });
}

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

/**
 * Records attempts and moves their deliveries on, in one transaction. An update only applies
 * while the delivery is still the claim its attempt belongs to, so a late finisher after a lost
 * lease cannot overwrite a newer attempt's result.
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
    for (const record of records) {
      const applied = await writeAttempt(trx, record);
      if (applied && hooks.afterApplied) await hooks.afterApplied(trx, record);
    }
  });
}

/**
 * Puts a claimed delivery back without an attempt (its notification is paused): due again at
 * `until`, and the claim's attempt number given back so the retry schedule is not used up.
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
      attempts: eb("attempts", "-", 1),
      updated_at: new Date().toISOString(),
    }))
    .where("id", "=", delivery.id)
    .where("attempts", "=", delivery.attempt)
    .where("status", "=", "pending")
    .execute();
}

/** Records one attempt; see `recordAttempts`. */
export async function recordAttempt(db: Kysely<Database>, record: AttemptRecord): Promise<void> {
  await recordAttempts(db, [record]);
}

/**
 * Records one attempt inside the caller's transaction; true when it still belonged to its claim
 * (see `recordAttempts`).
 */
export async function writeAttempt(
  trx: Transaction<Database>,
  record: AttemptRecord,
): Promise<boolean> {
  const now = new Date().toISOString();
  let status: DeliveryStatus;
  if (record.outcome === "succeeded") status = "succeeded";
  else if (record.outcome === "skipped") status = "skipped";
  else if (record.outcome === "retry" && record.nextAttemptAt) status = "pending";
  else status = "failed";
  await trx
    .insertInto("delivery_attempts")
    .values({
      id: newId("att"),
      delivery_id: record.deliveryId,
      attempt: record.attempt,
      started_at: record.startedAt,
      duration_ms: record.durationMs,
      outcome: record.outcome,
      http_status: record.httpStatus ?? null,
      error: record.error ?? null,
      response: record.response ?? null,
      next_attempt_at: status === "pending" ? (record.nextAttemptAt ?? null) : null,
      request: record.request ?? null,
      response_headers: record.responseHeaders ?? null,
    })
    .execute();
  const updated = await trx
    .updateTable("deliveries")
    .set({
      status,
      lease_until: null,
      last_error: record.error ?? null,
      next_attempt_at: record.nextAttemptAt ?? now,
      updated_at: now,
      completed_at: status === "pending" ? null : now,
    })
    .where("id", "=", record.deliveryId)
    .where("attempts", "=", record.attempt)
    .where("status", "=", "pending")
    .executeTakeFirst();
  const applied = Number(updated.numUpdatedRows) === 1;
  if (record.followUps && applied) {
    const { eventId, eventOrder, planned } = record.followUps;
    await insertDeliveries(trx, eventId, eventOrder, planned, now);
  }
  return applied;
}

/**
 * Frees every lease. Only for a single-process engine (SQLite) at start-up: no other process can
 * hold one, so what was in flight when the last process died is due again at once.
 */
export async function releaseAllLeases(db: Kysely<Database>): Promise<number> {
  const result = await db
    .updateTable("deliveries")
    .set({ lease_until: null })
    .where("status", "=", "pending")
    .where("lease_until", "is not", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** When the next pending delivery is due, if any. */
export async function nextDueAt(db: Kysely<Database>): Promise<string | undefined> {
  const row = await db
    .selectFrom("deliveries")
    .select((eb) => eb.fn.min("next_attempt_at").as("due"))
    .where("status", "=", "pending")
    .executeTakeFirst();
  return row?.due ?? undefined;
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

/** Inserts a delivery that is being attempted right now (a test send), inside `trx`. */
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
        normalized: normalized ?? "null",
      },
    };
  });
}

/**
 * Re-queues a target's failed deliveries created since `since`: pending and due now. Returns how
 * many.
 */
export async function requeueFailed(
  db: Kysely<Database>,
  target: string,
  since: string,
  now: string,
): Promise<number> {
  const result = await db
    .updateTable("deliveries")
    .set({
      status: "pending",
      next_attempt_at: now,
      lease_until: null,
      completed_at: null,
      updated_at: now,
    })
    .where("target", "=", target)
    .where("status", "=", "failed")
    .where("created_at", ">=", since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
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
