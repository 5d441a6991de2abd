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
      // The payload lives apart from the status: it is written once, and the worker's status
      // update then rewrites a small row instead of the whole body.
      await db.schema
        .createTable("event_payloads")
        .addColumn("event_id", "text", (c) => c.primaryKey().references("events.id"))
        .addColumn("headers", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table event_payloads`.execute(db);
      await sql`drop table events`.execute(db);
    },
  },
  "002_deliveries": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event_id", "text", (c) => c.notNull().references("events.id"))
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("event_order", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", (c) => c.notNull())
        .addColumn("lease_until", "text")
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("completed_at", "text")
        .execute();
      // Claims walk pending rows in event order and stop at the first due heads: this index
      // serves both the filter and the ORDER BY, so a large backlog is never sorted.
      await db.schema
        .createIndex("deliveries_pending_order")
        .on("deliveries")
        .columns(["status", "event_order"])
        .execute();
      await db.schema
        .createIndex("deliveries_queue")
        .on("deliveries")
        .columns(["target", "subject", "status", "event_order"])
        .execute();
      await db.schema.createIndex("deliveries_event").on("deliveries").column("event_id").execute();
      await db.schema
        .createTable("delivery_attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("delivery_id", "text", (c) => c.notNull().references("deliveries.id"))
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("http_status", "integer")
        .addColumn("error", "text")
        .addColumn("response", "text")
        .addColumn("next_attempt_at", "text")
        .execute();
      await db.schema
        .createIndex("delivery_attempts_delivery")
        .on("delivery_attempts")
        .columns(["delivery_id", "attempt"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table delivery_attempts`.execute(db);
      await sql`drop table deliveries`.execute(db);
    },
  },
  "003_sticky_comments": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("sticky_comments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("repository", "text", (c) => c.notNull())
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("comment_id", "text")
        .addColumn("rows", "text", (c) => c.notNull())
        .addColumn("closed", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("creating_until", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("sticky_comments_key", ["provider", "repository", "number"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table sticky_comments`.execute(db);
    },
  },
  "004_notifications": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("notifications")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("filters", "text", (c) => c.notNull())
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("secrets", "text")
        .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("disabled_until", "text")
        .addColumn("disabled_reason", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("notification_state_changes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("notification_id", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("consecutive_failures", "integer", (c) => c.notNull())
        .addColumn("disabled_until", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("notification_state_changes_notification")
        .on("notification_state_changes")
        .columns(["notification_id", "id"])
        .execute();
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("token_hint", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_used_at", "text")
        .addColumn("revoked_at", "text")
        .execute();
      await db.schema.alterTable("delivery_attempts").addColumn("request", "text").execute();
      await db.schema
        .alterTable("delivery_attempts")
        .addColumn("response_headers", "text")
        .execute();
      // A notification's deliveries, newest first; and replays of its failures since a time.
      await db.schema
        .createIndex("deliveries_target")
        .on("deliveries")
        .columns(["target", "id"])
        .execute();
      // Retention prunes attempts by age.
      await db.schema
        .createIndex("delivery_attempts_started")
        .on("delivery_attempts")
        .column("started_at")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table api_tokens`.execute(db);
      await sql`drop table notification_state_changes`.execute(db);
      await sql`drop table notifications`.execute(db);
    },
  },
  "008_delivery_claims": {
    async up(db: Kysely<unknown>) {
      // When a delivery may be claimed: set on the head of its (target, subject) queue (its next
      // attempt time, or its lease's end while in flight), null while it waits behind an earlier
      // delivery of that queue and once it is finished. Claims read this index alone, so a backlog
      // waiting behind a retry, or queued for later, costs them nothing.
      await db.schema.alterTable("deliveries").addColumn("ready_at", "text").execute();
      await sql`
        update deliveries set ready_at = coalesce(lease_until, next_attempt_at)
        where status = 'pending' and id = (
          select o.id from deliveries o
          where o.target = deliveries.target and o.subject = deliveries.subject
            and o.status = 'pending'
          order by o.event_order, o.id limit 1
        )`.execute(db);
      await db.schema
        .createIndex("deliveries_ready")
        .on("deliveries")
        .column("ready_at")
        .where(sql.ref("ready_at"), "is not", null)
        .execute();
      // Deliveries in flight (under a lease), by queue: a claim checks that nothing of the head's
      // queue is in flight without walking the queue.
      await db.schema
        .createIndex("deliveries_leased")
        .on("deliveries")
        .columns(["target", "subject", "lease_until"])
        .where(sql.ref("lease_until"), "is not", null)
        .execute();
      // Claims no longer walk pending rows in event order; left alone, this index would only
      // tempt the planners into reading every pending row to find a few.
      await db.schema.dropIndex("deliveries_pending_order").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema
        .createIndex("deliveries_pending_order")
        .on("deliveries")
        .columns(["status", "event_order"])
        .execute();
      await db.schema.dropIndex("deliveries_leased").execute();
      await db.schema.dropIndex("deliveries_ready").execute();
      await db.schema.alterTable("deliveries").dropColumn("ready_at").execute();
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
