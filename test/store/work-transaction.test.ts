import { statSync } from "node:fs";
import { type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { newId } from "../../src/store/ids.js";
import type { Database } from "../../src/store/schema.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { eventually } from "../helpers/shipcast.js";

/** How the connection waits for the disk at commit: SQLite `synchronous`, PostgreSQL's setting. */
async function durability(db: Kysely<Database>, engine: string): Promise<string> {
  if (engine === "sqlite") {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
    return ["off", "normal", "full", "extra"][rows[0]?.synchronous ?? -1] ?? "?";
  }
  const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db);
  return rows[0]?.synchronous_commit ?? "?";
}

function eventRow(dedupeKey: string, body = "{}") {
  const now = new Date().toISOString();
  return {
    id: newId("evt"),
    source: "github",
    dedupeKey,
    eventName: "deployment_status",
    receivedAt: now,
    headers: "{}",
    body,
    status: "pending" as const,
    reason: null,
  };
}

describe.each(ENGINES)("work transactions on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("commit without waiting for the disk, and leave every other write waiting for it", async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    const full = engine === "sqlite" ? "full" : "on";
    expect(await durability(store.db, engine)).toBe(full);
    const inside = await store.workTransaction((trx) => durability(trx, engine));
    expect(inside).toBe(engine === "sqlite" ? "normal" : "off");
    expect(await durability(store.db, engine)).toBe(full);
    // Also after one that failed and rolled back.
    const failed = await store
      .workTransaction(async () => {
        throw new Error("no");
      })
      .catch((error: Error) => error.message);
    expect(failed).toBe("no");
    expect(await durability(store.db, engine)).toBe(full);
    await store.db.transaction().execute(async (trx) => {
      expect(await durability(trx, engine)).toBe(full);
    });
  });

  it("commits what the work wrote, and nothing when it throws", async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    const [kept] = await store.insertEvents([eventRow("kept")]);
    await store.workTransaction(async (trx) => {
      await trx
        .updateTable("events")
        .set({ status: "processed" })
        .where("id", "=", kept?.id ?? "")
        .execute();
    });
    await store
      .workTransaction(async (trx) => {
        await trx.updateTable("events").set({ status: "failed" }).execute();
        throw new Error("rolled back");
      })
      .catch(() => undefined);
    const rows = await store.db.selectFrom("events").select("status").execute();
    expect(rows).toEqual([{ status: "processed" }]);
  });
});

describe("SQLite checkpoints", () => {
  let database: TestDatabase;
  let store: Store;

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("are made by a thread of their own: the database file takes in commits the writer never checkpointed", async () => {
    database = await createTestDatabase("sqlite");
    store = await openStore(database.location);
    if (database.location.engine !== "sqlite") throw new Error("unreachable");
    const file = database.location.path;
    const before = statSync(file).size;
    // About 2 MB: far below the writer's own checkpoint (10,000 pages, 40 MB).
    const body = JSON.stringify({ padding: "x".repeat(100_000) });
    await store.insertEvents(Array.from({ length: 20 }, (_, i) => eventRow(`big-${i}`, body)));
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000);
    await eventually(() => (statSync(file).size > before + 1_000_000 ? true : undefined), 5000);
  });
});
