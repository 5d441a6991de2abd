import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { lockSqliteFile, StoreLockedError } from "../../src/store/sqlite-lock.js";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.js";

describe("the lock of a SQLite file", () => {
  let database: TestDatabase | undefined;
  const open: Store[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await database?.drop();
    database = undefined;
  });

  it("refuses a second holder, naming the file and the process that holds it", async () => {
    database = await createTestDatabase("sqlite");
    const path = (database.location as { path: string }).path;
    const held = lockSqliteFile(path, "shipcast serve");
    try {
      let refused: unknown;
      try {
        lockSqliteFile(path, "shipcast rotate-key");
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(StoreLockedError);
      const error = refused as StoreLockedError;
      expect(error.file).toBe(path);
      expect(error.holder).toMatchObject({
        pid: process.pid,
        host: hostname(),
        command: "shipcast serve",
      });
      expect(error.message).toContain(`the SQLite file ${path} is in use by shipcast serve`);
      expect(error.message).toContain(`pid ${process.pid} on ${hostname()}, started `);
    } finally {
      held.release();
    }
    // Released: the next one takes it, and is named from then on.
    const next = lockSqliteFile(path, "shipcast rotate-key");
    try {
      expect(() => lockSqliteFile(path, "x")).toThrow(/in use by shipcast rotate-key/);
    } finally {
      next.release();
    }
  });

  it("is held by a store opened with it until that store is closed", async () => {
    database = await createTestDatabase("sqlite");
    const first = await openStore(database.location, { lock: "shipcast serve" });
    await expect(openStore(database.location, { lock: "shipcast serve" })).rejects.toBeInstanceOf(
      StoreLockedError,
    );
    // Readers that take no lock (tests, tools) still open the file.
    const reader = await openStore(database.location);
    open.push(reader);
    await first.close();
    open.push(await openStore(database.location, { lock: "shipcast serve" }));
  });

  it("is not taken for a database in memory", async () => {
    const location = { engine: "sqlite" as const, path: ":memory:" };
    open.push(await openStore(location, { lock: "shipcast serve" }));
    open.push(await openStore(location, { lock: "shipcast serve" }));
    expect(open).toHaveLength(2);
  });
});
