/**
 * Fields of the normalized event (JSON text in `events.normalized`) that lists filter on, as SQL
 * per engine. The indexes of migration 005 are built on exactly these expressions, and the
 * queries must spell them the same way for the planners to use them.
 */
import { type Kysely, PostgresAdapter, type RawBuilder, sql } from "kysely";
import type { Engine } from "./database.js";

/** The event's kind (`deploy.succeeded`, …). */
export const EVENT_KIND_SQL: Record<Engine, string> = {
  sqlite: "json_extract(normalized, '$.kind')",
  postgres: "((normalized::jsonb) ->> 'kind')",
};

/** The event's project name. */
export const EVENT_PROJECT_SQL: Record<Engine, string> = {
  sqlite: "json_extract(normalized, '$.project.name')",
  postgres: "((normalized::jsonb) -> 'project' ->> 'name')",
};

/** Which engine a Kysely instance talks to. */
// biome-ignore lint/suspicious/noExplicitAny: any database: only the adapter is looked at
export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

/** One of the expressions above, for a query on `db`. */
export function eventField(
  // biome-ignore lint/suspicious/noExplicitAny: any database: only the adapter is looked at
  db: Kysely<any>,
  field: Record<Engine, string>,
): RawBuilder<string | null> {
  return sql<string | null>`${sql.raw(field[engineOf(db)])}`;
}
