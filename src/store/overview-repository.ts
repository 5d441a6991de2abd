/**
 * The few counts the dashboard's overview shows: events and deliveries of the last hours by
 * status, and the latest failures. Ids sort by creation time, so "since" is a range of the
 * primary key and never a scan of the whole table.
 */
import type { Kysely } from "kysely";
import type { DeliveryRow } from "./deliveries-repository.js";
import { idFloor } from "./ids.js";
import type { Database, DeliveryStatus, EventStatus } from "./schema.js";
import { countDeliveryStatuses, countEventStatuses } from "./status-counts.js";

/** Events received since `since`, by status. */
export async function countEventsSince(
  db: Kysely<Database>,
  since: Date,
): Promise<Record<EventStatus, number>> {
  return countEventStatuses(db, since);
}

/** Deliveries created since `since`, by status. */
export async function countDeliveriesSince(
  db: Kysely<Database>,
  since: Date,
): Promise<Record<DeliveryStatus, number>> {
  return countDeliveryStatuses(db, since);
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
