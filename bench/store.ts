/**
 * The benchmarks' view of Shipcast's store: a fresh database per run (a SQLite file in a scratch
 * folder, or a new PostgreSQL schema), opened with the store's own code (`openStore`: the same
 * migrations, the same tables), and the counts a report needs. Reading the store directly, not
 * through the management API, keeps the figures independent of the API's shape.
 */

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { parseDatabaseUrl } from "../src/config/env.js";
import { type Engine, openStore, type Store } from "../src/store/database.js";
import type { DeliveriesTable, DeliveryAttemptsTable } from "../src/store/schema.js";
import { onInterrupt } from "./processes.js";

export type { Engine, Store };

/** The PostgreSQL server to use, when set (the same variable the tests read). */
export const POSTGRES_URL = process.env.SHIPCAST_TEST_POSTGRES_URL?.trim() || undefined;

/** A fresh, empty database for one run. */
export interface BenchDatabase {
  engine: Engine;
  /** Shipcast's `DATABASE_URL` for it. */
  url: string;
  /** Where it is, for the report: the SQLite file or the PostgreSQL schema. */
  where: string;
  /** Removes it (a PostgreSQL schema; a SQLite file goes with its scratch folder). */
  drop(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A new database: `shipcast.db` in `dir` for SQLite, or a new schema `bench_<random>` selected
 * through the connection's `search_path` for PostgreSQL (needs SHIPCAST_TEST_POSTGRES_URL).
 */
export async function freshDatabase(engine: Engine, dir: string): Promise<BenchDatabase> {
  if (engine === "sqlite") {
    const file = join(dir, "shipcast.db");
    return { engine, url: `sqlite:${file}`, where: file, async drop() {} };
  }
  if (!POSTGRES_URL) throw new Error("PostgreSQL runs need SHIPCAST_TEST_POSTGRES_URL");
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const drop = () => adminQuery(`drop schema if exists ${schema} cascade`);
  await adminQuery(`create schema ${schema}`);
  const interrupted = onInterrupt(drop);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    engine,
    url: url.toString(),
    where: `schema ${schema} on ${url.host}${url.pathname}`,
    async drop() {
      await drop();
      interrupted.settled();
    },
  };
}

/** Opens the store at `url` (creating its tables when it is new). */
export function openBenchStore(url: string): Promise<Store> {
  const location = parseDatabaseUrl(url);
  if (!location) throw new Error(`not a DATABASE_URL: ${url}`);
  return openStore(location);
}

/** `count(*)` comes back as a string from PostgreSQL (bigint) and a number from SQLite. */
const toCount = (value: unknown) => Number(value);

/** Counts of a table's rows by status. */
async function byStatus(
  store: Store,
  table: "events" | "deliveries",
): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom(table)
    .select(["status", (eb) => eb.fn.countAll().as("n")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, toCount(row.n)]));
}

/** Counts of `events` rows by status. */
export const eventsByStatus = (store: Store) => byStatus(store, "events");

/** Counts of `deliveries` rows by status. */
export const deliveriesByStatus = (store: Store) => byStatus(store, "deliveries");

/** The sum of a tally. */
export const total = (tally: Record<string, number>) =>
  Object.values(tally).reduce((sum, n) => sum + n, 0);

/** What a delivery report reads of a delivery. */
export type DeliveryFacts = Pick<
  DeliveriesTable,
  "id" | "event_id" | "target" | "subject" | "status" | "created_at" | "completed_at"
>;
/** What a delivery report reads of an attempt. */
export type AttemptFacts = Pick<
  DeliveryAttemptsTable,
  "delivery_id" | "attempt" | "started_at" | "duration_ms" | "outcome"
>;

/** Everything a delivery report needs from the store once the run is over. */
export interface StoreFacts {
  events: Record<string, number>;
  deliveries: DeliveryFacts[];
  byStatus: Record<string, number>;
  attempts: AttemptFacts[];
  attemptsByOutcome: Record<string, number>;
  /** Succeeded deliveries without an attempt row. */
  succeededWithoutAttempt: number;
}

/**
 * Reads the facts of a finished run: of the whole store, or only of the events in `eventIds`
 * (one batch of several sent to the same store), their deliveries and their attempts.
 */
export async function readStoreFacts(
  store: Store,
  eventIds?: ReadonlySet<string>,
): Promise<StoreFacts> {
  const ofRun = (eventId: string) => eventIds === undefined || eventIds.has(eventId);
  const deliveries = (
    await store.db
      .selectFrom("deliveries")
      .select(["id", "event_id", "target", "subject", "status", "created_at", "completed_at"])
      .orderBy("id")
      .execute()
  ).filter((row) => ofRun(row.event_id));
  const deliveryIds = new Set(deliveries.map((row) => row.id));
  const attempts = (
    await store.db
      .selectFrom("delivery_attempts")
      .select(["delivery_id", "attempt", "started_at", "duration_ms", "outcome"])
      .execute()
  ).filter((row) => deliveryIds.has(row.delivery_id));
  const byStatus: Record<string, number> = {};
  for (const row of deliveries) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  const attemptsByOutcome: Record<string, number> = {};
  const attempted = new Set<string>();
  for (const row of attempts) {
    attemptsByOutcome[row.outcome] = (attemptsByOutcome[row.outcome] ?? 0) + 1;
    attempted.add(row.delivery_id);
  }
  let events: Record<string, number>;
  if (eventIds === undefined) events = await eventsByStatus(store);
  else {
    events = {};
    const rows = await store.db.selectFrom("events").select(["id", "status"]).execute();
    for (const row of rows) {
      if (eventIds.has(row.id)) events[row.status] = (events[row.status] ?? 0) + 1;
    }
  }
  return {
    events,
    deliveries,
    byStatus,
    attempts,
    attemptsByOutcome,
    succeededWithoutAttempt: deliveries.filter(
      (row) => row.status === "succeeded" && !attempted.has(row.id),
    ).length,
  };
}
