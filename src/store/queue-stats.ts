/**
 * What the metrics read from the store at each scrape: the state of the queues, which every
 * process sharing a database sees alike. One cheap query each (pending rows only, on indexed
 * status columns).
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";

/** The pending deliveries of one output kind. */
export interface DeliveryQueueStats {
  kind: string;
  /** Every pending delivery, waiting for its time or its turn. */
  pending: number;
  /** Pending, due now and not leased by a worker: waiting for a free worker. */
  due: number;
  /** When the longest-waiting due delivery became due (ISO), if any is due. */
  oldestDueAt: string | null;
}

/** The pending deliveries by output kind, as of `now` (ISO). */
export async function deliveryQueueStats(
  db: Kysely<Database>,
  now: string,
): Promise<DeliveryQueueStats[]> {
  const due = sql<boolean>`next_attempt_at <= ${now} and (lease_until is null or lease_until < ${now})`;
  const rows = await db
    .selectFrom("deliveries")
    .select([
      "kind",
      (eb) => eb.fn.countAll<number | string>().as("pending"),
      sql<number | string | null>`sum(case when ${due} then 1 else 0 end)`.as("due"),
      sql<string | null>`min(case when ${due} then next_attempt_at end)`.as("oldest_due_at"),
    ])
    .where("status", "=", "pending")
    .groupBy("kind")
    .execute();
  return rows.map((row) => ({
    kind: row.kind,
    pending: Number(row.pending),
    due: Number(row.due ?? 0),
    oldestDueAt: row.oldest_due_at,
  }));
}

/** Inbox rows received but not yet processed. */
export async function pendingEventCount(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("events")
    .select((eb) => eb.fn.countAll<number | string>().as("count"))
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Notifications managed through the API, by delivery health, as of `now` (ISO). */
export async function notificationStateCounts(
  db: Kysely<Database>,
  now: string,
): Promise<{ active: number; paused: number; disabled: number }> {
  const row = await db
    .selectFrom("notifications")
    .select([
      (eb) => eb.fn.countAll<number | string>().as("total"),
      sql<number | string | null>`sum(case when enabled = 0 then 1 else 0 end)`.as("disabled"),
      sql<
        number | string | null
      >`sum(case when enabled <> 0 and disabled_until > ${now} then 1 else 0 end)`.as("paused"),
    ])
    .executeTakeFirstOrThrow();
  const disabled = Number(row.disabled ?? 0);
  const paused = Number(row.paused ?? 0);
  return { active: Number(row.total) - disabled - paused, disabled, paused };
}
