/** The `sources` table: sources managed through the API. */
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from "kysely";
import type { Database, SourcesTable } from "./schema.js";
import { tableStamp } from "./table-stamp.js";

export type SourceRow = Selectable<SourcesTable>;

type Db = Kysely<Database> | Transaction<Database>;

export async function insertSource(db: Db, row: Insertable<SourcesTable>): Promise<void> {
  await db.insertInto("sources").values(row).execute();
}

export async function getSourceRow(db: Db, id: string): Promise<SourceRow | undefined> {
  return db.selectFrom("sources").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Every source, oldest first (there are tens, not thousands). */
export async function listSourceRows(db: Db): Promise<SourceRow[]> {
  return db.selectFrom("sources").selectAll().orderBy("created_at").orderBy("id").execute();
}

/** The table's stamp (see `tableStamp`): tells a reader whether its copy is stale. */
export async function sourcesStamp(db: Db): Promise<string> {
  return tableStamp(db, "sources");
}

/** Updates a source; false when it does not exist. */
export async function updateSourceRow(
  db: Db,
  id: string,
  patch: Updateable<SourcesTable>,
): Promise<boolean> {
  const result = await db.updateTable("sources").set(patch).where("id", "=", id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a source (the events it received keep its id); false when it does not exist. */
export async function deleteSourceRow(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("sources").where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
