import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";

/**
 * The schema, as ordered migrations. Only portable column types (text, integer) are used so
 * SQLite and PostgreSQL share one schema and one query layer. Never edit a released migration:
 * add the next one.
 */
export const migrations: Record<string, Migration> = {
  "001_events": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("dedupe_key", "text", (c) => c.notNull())
        .addColumn("event_name", "text")
        .addColumn("received_at", "text", (c) => c.notNull())
        .addColumn("headers", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("normalized", "text")
        .addColumn("processed_at", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint("events_source_dedupe_key", ["source", "dedupe_key"])
        .execute();
      await db.schema
        .createIndex("events_status_id")
        .on("events")
        .columns(["status", "id"])
        .execute();
      await db.schema
        .createIndex("events_source_id")
        .on("events")
        .columns(["source", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table events`.execute(db);
    },
  },
};

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/**
 * Brings the schema up to date; safe to run from several processes at once on PostgreSQL.
 * `schema` pins the bookkeeping tables to the connection's own schema on PostgreSQL, where
 * Kysely would otherwise find another schema's copy and skip creating its own.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: "shipcast_migrations",
    migrationLockTableName: "shipcast_migrations_lock",
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const name = failed ? ` (${failed.migrationName})` : "";
    throw new Error(`Database migration failed${name}: ${(error as Error)?.message ?? error}`);
  }
}
