/** A cheap "has this table changed?" probe, for the tables readers keep a copy of. */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

type Db = Kysely<Database> | Transaction<Database>;

/** The tables managed through the API that have `updated_at` and `enabled` columns. */
export type StampedTable = "notifications" | "sources";

/**
 * What the table looks like now, as one comparable string (count, last change, enabled ones):
 * one small query that tells a reader whether its copy is stale.
 */
export async function tableStamp(db: Db, table: StampedTable): Promise<string> {
  const row = await db
    .selectFrom(table)
    .select((eb) => [
      eb.fn.countAll<number | string>().as("n"),
      eb.fn.max("updated_at").as("updated"),
      eb.fn.sum<number | string | null>("enabled").as("enabled"),
    ])
    .executeTakeFirst();
  return `${Number(row?.n ?? 0)}|${row?.updated ?? ""}|${Number(row?.enabled ?? 0)}`;
}
