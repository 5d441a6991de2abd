import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Engine, StoreLocation } from "../../src/store/database.js";

/** The PostgreSQL server the tests use; `.ci/run` starts one and sets this. */
export const POSTGRES_URL = process.env.SHIPCAST_TEST_POSTGRES_URL;

if (!POSTGRES_URL && process.env.CI) {
  throw new Error("CI must run the PostgreSQL tests: set SHIPCAST_TEST_POSTGRES_URL (see .ci/run)");
}

/**
 * The engines the store tests run on: SQLite always, PostgreSQL when a server is configured
 * (always in CI). Locally without PostgreSQL its tests are reported as skipped.
 */
export const ENGINES: Engine[] = POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestDatabase {
  /** As DATABASE_URL names it, for processes started with it. */
  url: string;
  /** The same, for `openStore`. */
  location: StoreLocation;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test: a SQLite file in a new temporary folder, or a new
 * PostgreSQL schema selected through the connection's search_path.
 */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "shipcast-test-"));
    const path = join(dir, "shipcast.db");
    return {
      url: `sqlite:${path}`,
      location: { engine: "sqlite", path },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!POSTGRES_URL) throw new Error("SHIPCAST_TEST_POSTGRES_URL is not set");
  const schema = `test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    location: { engine: "postgres", url: url.toString() },
    async drop() {
      await adminQuery(`drop schema if exists ${schema} cascade`);
    },
  };
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
