import { type Kysely, PostgresAdapter, type Transaction } from "kysely";
import type { Database } from "./schema.js";

/** Whether `db` talks to PostgreSQL (several processes) rather than SQLite (one). */
export function isPostgres(db: Kysely<Database> | Transaction<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
