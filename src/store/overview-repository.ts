/**
 * The few counts the dashboard's overview shows: events and deliveries of the last hours by
 * status, and the latest failures. Ids sort by creation time, so "since" is a range of the
 * primary key and never a scan of the whole table.
 */
import type { Kysely } from "kysely";
import type { DeliveryRow } from "./deliveries-repository.js";
import { idFloor } from "./ids.js";
import type { Database, DeliveryStatus, EventStatus } from "./schema.js";

/** Events received since `since`, by status. */
export async function countEventsSince(
  db: Kysely<Database>,
  since: Date,
): Promise<Record<EventStatus, number>> {
  const rows = await db
    .selectFrom("events")
    .select(["status", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("id", ">=", idFloor("evt", since.getTime()))
    .groupBy("status")
    .execute();
  const counts: Record<EventStatus, number> = { pending: 0, processed: 0, ignored: 0, failed: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** Deliveries created since `since`, by status. */
export async function countDeliveriesSince(
  db: Kysely<Database>,
  since: Date,
): Promise<Record<DeliveryStatus, number>> {
  const rows = await db
    .selectFrom("deliveries")
    .select(["status", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("id", ">=", idFloor("dlv", since.getTime()))
    .groupBy("status")
    .execute();
  const counts: Record<DeliveryStatus, number> = {
    pending: 0,
    succeeded: 0,
    failed: 0,
    superseded: 0,
    skipped: 0,
  };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/**
 * The newest deliveries that failed for good, or are waiting for a retry after a failed
 * attempt, created since `since`.
 */
export async function latestFailures(
  db: Kysely<Database>,
  since: Date,
  limit: number,
): Promise<DeliveryRow[]> {
  return db
    .selectFrom("deliveries")
    .selectAll()
    .where("id", ">=", idFloor("dlv", since.getTime()))
    .where((eb) =>
      eb.or([
        eb("status", "=", "failed"),
        eb.and([eb("status", "=", "pending"), eb("last_error", "is not", null)]),
      ]),
    )
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}
