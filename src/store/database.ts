import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { migrateToLatest } from "./migrations.js";
import type { Database, EventStatus } from "./schema.js";
import { BACKSTOP_CHECKPOINT_PAGES, startCheckpointer } from "./sqlite-checkpointer.js";
import { lockSqliteFile } from "./sqlite-lock.js";
import { withRelaxedCommits } from "./sqlite-relaxed-commits.js";
import { withStatementCache } from "./statement-cache.js";

export type Engine = "sqlite" | "postgres";

/** A verified delivery, ready to be written to the inbox. */
export interface NewEvent {
  id: string;
  source: string;
  /** The source that received it (`env_github`, `src_…`); null or absent for none. */
  sourceId?: string | null;
  dedupeKey: string;
  eventName: string | null;
  receivedAt: string;
  headers: string;
  body: string;
  status: EventStatus;
  reason: string | null;
}

/** Outcome of writing one `NewEvent`: its id, or the id of the earlier copy it duplicates. */
export interface InsertOutcome {
  id: string;
  duplicate: boolean;
}

/**
 * The store: one Kysely instance over SQLite (better-sqlite3, WAL) or PostgreSQL, plus the one
 * write the ingest path needs, specialised per engine because it is the hot path.
 */
export interface Store {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  /**
   * Writes a batch of inbox rows in ONE transaction and resolves after the commit. A row whose
   * (source, dedupe key) exists already is not written; its outcome carries the existing id.
   */
  insertEvents(rows: NewEvent[]): Promise<InsertOutcome[]>;
  /**
   * Runs `work` in a transaction for the workers' own bookkeeping (claims, attempt records),
   * committed without waiting for the disk: SQLite `synchronous = NORMAL` for that commit only,
   * PostgreSQL `synchronous_commit = off`. A killed process loses nothing committed; a power cut
   * may take back the last moments, and what they recorded is done again (a delivery re-sent
   * with its id). Never for what a sender or a user was promised (the inbox, the API's writes).
   */
  workTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where the store lives: a SQLite file (`:memory:` for a database in memory) or a PostgreSQL
 * connection string. The configuration parses `DATABASE_URL` into it once.
 */
export type StoreLocation =
  | { engine: "sqlite"; path: string }
  | { engine: "postgres"; url: string };

export interface OpenStoreOptions {
  /**
   * Hold the SQLite file for this process while the store is open (see `sqlite-lock.ts`), in
   * the name of this command (`shipcast serve`): another process holding it makes `openStore`
   * throw `StoreLockedError`. No lock on PostgreSQL (several processes share it) or in memory.
   */
  lock?: string;
}

/**
 * Opens the store at `location`, creating the SQLite file's folder if needed, and runs the
 * migrations.
 */
export async function openStore(
  location: StoreLocation,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const store =
    location.engine === "sqlite"
      ? openSqlite(location.path, options.lock)
      : openPostgres(location.url);
  try {
    const schema =
      store.engine === "postgres"
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db))
            .rows[0]?.schema
        : undefined;
    await migrateToLatest(store.db as Kysely<unknown>, schema);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openSqlite(path: string, lockFor: string | undefined): Store {
  const file = path === ":memory:" ? ":memory:" : resolve(path);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  // Before the file is opened: a second process must not even run the migrations.
  const lock = file !== ":memory:" && lockFor ? lockSqliteFile(file, lockFor) : undefined;
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(file);
  } catch (error) {
    lock?.release();
    throw error;
  }
  sqlite.pragma("journal_mode = WAL");
  // FULL: a commit is on disk before the 202 goes out. Group commits keep this cheap.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // Checkpoints run on a thread of their own; this connection's own is only a backstop.
  const checkpointer = file === ":memory:" ? undefined : startCheckpointer(file);
  if (checkpointer) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const commits = withRelaxedCommits(withStatementCache(sqlite));
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: commits.database }),
  });

  // Prepared on first use: the table exists only once the migrations have run.
  let insertBatch: ((rows: NewEvent[]) => InsertOutcome[]) | undefined;
  const prepareInsertBatch = () => {
    const insert = sqlite.prepare(
      `INSERT INTO events (id, source, source_id, dedupe_key, event_name, received_at, status, reason)
       VALUES (@id, @source, @sourceId, @dedupeKey, @eventName, @receivedAt, @status, @reason)
       ON CONFLICT (source, dedupe_key) DO NOTHING`,
    );
    const insertPayload = sqlite.prepare(
      "INSERT INTO event_payloads (event_id, headers, body) VALUES (@id, @headers, @body)",
    );
    const existing = sqlite.prepare<[string, string], { id: string }>(
      "SELECT id FROM events WHERE source = ? AND dedupe_key = ?",
    );
    return sqlite.transaction((rows: NewEvent[]): InsertOutcome[] =>
      rows.map((row) => {
        const values = row.sourceId === undefined ? { ...row, sourceId: null } : row;
        if (insert.run(values).changes === 1) {
          insertPayload.run(row);
          return { id: row.id, duplicate: false };
        }
        const found = existing.get(row.source, row.dedupeKey);
        if (!found) throw new Error("inbox row vanished during insert");
        return { id: found.id, duplicate: true };
      }),
    );
  };

  let closed = false;
  return {
    engine: "sqlite",
    db,
    async insertEvents(rows) {
      // better-sqlite3 has one connection. While Kysely holds a transaction open across an await
      // (a worker), a write issued now would silently join that transaction and could be rolled
      // back after we acknowledged it: wait for the connection to be outside any transaction.
      while (sqlite.inTransaction) await new Promise((r) => setImmediate(r));
      insertBatch ??= prepareInsertBatch();
      return insertBatch(rows);
    },
    workTransaction(work) {
      // Holding Kysely's one connection first makes the next `begin` this transaction's own.
      return db
        .connection()
        .execute((connection) => commits.relaxed(() => connection.transaction().execute(work)));
    },
    async ping() {
      sqlite.prepare("SELECT 1").get();
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.close();
      try {
        await db.destroy();
        if (sqlite.open) sqlite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  // Nor one in use (a transaction open when the server restarts or the network drops): its
  // query fails with the error already, and an 'error' event without a listener would throw.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    engine: "postgres",
    db,
    async insertEvents(rows) {
      if (rows.length === 0) return [];
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto("events")
          .values(
            rows.map((row) => ({
              id: row.id,
              source: row.source,
              source_id: row.sourceId ?? null,
              dedupe_key: row.dedupeKey,
              event_name: row.eventName,
              received_at: row.receivedAt,
              status: row.status,
              reason: row.reason,
            })),
          )
          .onConflict((oc) => oc.columns(["source", "dedupe_key"]).doNothing())
          .returning(["id"])
          .execute();
        const insertedIds = new Set(inserted.map((r) => r.id));
        const payloads = rows
          .filter((row) => insertedIds.has(row.id))
          .map((row) => ({ event_id: row.id, headers: row.headers, body: row.body }));
        if (payloads.length > 0) await trx.insertInto("event_payloads").values(payloads).execute();
        const outcomes: InsertOutcome[] = [];
        for (const row of rows) {
          if (insertedIds.has(row.id)) {
            outcomes.push({ id: row.id, duplicate: false });
            continue;
          }
          const found = await trx
            .selectFrom("events")
            .select("id")
            .where("source", "=", row.source)
            .where("dedupe_key", "=", row.dedupeKey)
            .executeTakeFirst();
          if (!found) throw new Error("inbox row vanished during insert");
          outcomes.push({ id: found.id, duplicate: true });
        }
        return outcomes;
      });
    },
    workTransaction(work) {
      return db.transaction().execute(async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx);
        return work(trx);
      });
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
