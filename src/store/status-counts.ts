/**
 * Rows of `events` or `deliveries` counted by status, every status present (zero when none),
 * optionally only those created since a time: ids sort by creation time, so "since" is a range
 * of the primary key and never a scan of the whole table.
 */
import type { Kysely } from "kysely";
import { idFloor } from "./ids.js";
import type { Database, DeliveryStatus, EventStatus } from "./schema.js";

/** Events by status, all of them or those received since `since`. */
export async function countEventStatuses(
  db: Kysely<Database>,
  since?: Date,
): Promise<Record<EventStatus, number>> {
  return countByStatus(db, "events", since, { pending: 0, processed: 0, ignored: 0, failed: 0 });
}

/** Deliveries by status, all of them or those created since `since`. */
export async function countDeliveryStatuses(
  db: Kysely<Database>,
  since?: Date,
): Promise<Record<DeliveryStatus, number>> {
  return countByStatus(db, "deliveries", since, {
    pending: 0,
    succeeded: 0,
    failed: 0,
    superseded: 0,
    skipped: 0,
  });
}

async function countByStatus<S extends string>(
  db: Kysely<Database>,
  table: "events" | "deliveries",
  since: Date | undefined,
  zero: Record<S, number>,
): Promise<Record<S, number>> {
  let query = db
    .selectFrom(table)
    .select(["status", (eb) => eb.fn.countAll<number | string>().as("n")]);
  if (since) {
    const prefix = table === "events" ? "evt" : "dlv";
    query = query.where("id", ">=", idFloor(prefix, since.getTime()));
  }
  const rows = await query.groupBy("status").execute();
  const counts = { ...zero };
  for (const row of rows) counts[row.status as S] = Number(row.n);
  return counts;
}
