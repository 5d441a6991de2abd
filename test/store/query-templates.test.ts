import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { newId } from "../../src/store/ids.js";
import { fromTemplate, slots } from "../../src/store/query-templates.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

describe.each(ENGINES)("query templates on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("run each call with its own values, constants kept, one shape per list length", async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    const now = new Date().toISOString();
    await store.insertEvents(
      ["a", "b", "c"].map((key) => ({
        id: newId("evt"),
        source: key === "c" ? "gitlab" : "github",
        dedupeKey: key,
        eventName: null,
        receivedAt: now,
        headers: "{}",
        body: "{}",
        status: "pending" as const,
        reason: null,
      })),
    );
    const db = store.db;
    const keysOf = async (keys: string[]) => {
      const { rows } = await db.executeQuery(
        fromTemplate(
          db,
          `test-keys:${keys.length}`,
          (slot) =>
            db
              .selectFrom("events")
              .select("dedupe_key")
              .where("source", "=", "github")
              .where("dedupe_key", "in", slots(slot, 0, keys.length))
              .orderBy("dedupe_key"),
          keys,
        ),
      );
      return rows.map((row) => row.dedupe_key);
    };
    expect(await keysOf(["a"])).toEqual(["a"]);
    expect(await keysOf(["b"])).toEqual(["b"]);
    expect(await keysOf(["a", "b"])).toEqual(["a", "b"]);
    // The constant `github` stays in the template: gitlab's "c" is not found.
    expect(await keysOf(["c", "a"])).toEqual(["a"]);
  });
});
