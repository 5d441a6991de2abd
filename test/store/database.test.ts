import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_NORMALIZE_OPTIONS } from "../../src/events/deploy-event.js";
import { EventWorker } from "../../src/ingest/event-worker.js";
import { InboxWriter } from "../../src/ingest/inbox-writer.js";
import { type NewEvent, openStore, type Store } from "../../src/store/database.js";
import { countEventsByStatus, getEvent, listEvents } from "../../src/store/events-repository.js";
import { newId } from "../../src/store/ids.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";

const deploymentStatus = JSON.stringify(githubExamplesOf("deployment_status")[0]);

function newEvent(dedupeKey: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id: newId("evt"),
    source: "github",
    dedupeKey,
    eventName: "deployment_status",
    receivedAt: new Date().toISOString(),
    headers: JSON.stringify({ "x-github-event": "deployment_status" }),
    body: deploymentStatus,
    status: "pending",
    reason: null,
    ...overrides,
  };
}

describe.each(ENGINES)("store on %s", (engine) => {
  let database: TestDatabase;
  const stores: Store[] = [];
  async function open(): Promise<Store> {
    const store = await openStore(database.location);
    stores.push(store);
    return store;
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await database.drop();
  });

  it("migrates a fresh database and re-opens an existing one without change", async () => {
    database = await createTestDatabase(engine);
    const first = await open();
    await first.insertEvents([newEvent("a")]);
    await first.close();
    const second = await open();
    expect((await listEvents(second.db, {}, { limit: 10 })).total).toBe(1);
  });

  it("writes a batch in one transaction and answers duplicates with the first id", async () => {
    database = await createTestDatabase(engine);
    const store = await open();
    const a = newEvent("key-a");
    const [first] = await store.insertEvents([a]);
    const outcomes = await store.insertEvents([
      newEvent("key-b"),
      newEvent("key-a"),
      newEvent("key-b"),
    ]);
    expect(first).toEqual({ id: a.id, duplicate: false });
    expect(outcomes[0]?.duplicate).toBe(false);
    expect(outcomes[1]).toEqual({ id: a.id, duplicate: true });
    expect(outcomes[2]).toEqual({ id: outcomes[0]?.id, duplicate: true });
    expect((await countEventsByStatus(store.db)).pending).toBe(2);
  });

  it("keeps the same dedupe key apart across sources", async () => {
    database = await createTestDatabase(engine);
    const store = await open();
    const outcomes = await store.insertEvents([
      newEvent("same"),
      newEvent("same", { source: "gitlab" }),
    ]);
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, false]);
  });

  it("group-commits concurrent writes and settles each caller with its own outcome", async () => {
    database = await createTestDatabase(engine);
    const store = await open();
    let commits = 0;
    const inbox = new InboxWriter(store, () => commits++);
    const rows = Array.from({ length: 200 }, (_, i) => newEvent(`k${i % 150}`));
    const outcomes = await Promise.all(rows.map((row) => inbox.write(row)));
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(150);
    expect(commits).toBeLessThan(rows.length);
    for (let i = 150; i < 200; i++) expect(outcomes[i]?.id).toBe(outcomes[i - 150]?.id);
  });

  it("lets two workers (two processes' worth of stores) share the inbox: each event processed once", async () => {
    database = await createTestDatabase(engine);
    const writer = await open();
    await writer.insertEvents(Array.from({ length: 300 }, (_, i) => newEvent(`w${i}`)));
    // SQLite serves one process: its two workers share the one connection.
    const other = engine === "postgres" ? await open() : writer;
    const log = pino({ level: "silent" });
    const workers = [writer, other].map(
      (store) =>
        new EventWorker({ store, normalizeOptions: DEFAULT_NORMALIZE_OPTIONS, log, batchSize: 7 }),
    );
    const processed = await Promise.all(workers.map((worker) => worker.drain()));
    expect(processed.reduce((a, b) => a + b, 0)).toBe(300);
    const attempts = await writer.db.selectFrom("events").select("attempts").execute();
    expect(attempts.every((row) => row.attempts === 1)).toBe(true);
    expect(await countEventsByStatus(writer.db)).toEqual({
      pending: 0,
      processed: 300,
      ignored: 0,
      failed: 0,
    });
  });

  it("marks an event it cannot normalize as failed, with the error", async () => {
    database = await createTestDatabase(engine);
    const store = await open();
    const [outcome] = await store.insertEvents([newEvent("bad", { body: '{"action":"created"}' })]);
    const worker = new EventWorker({
      store,
      normalizeOptions: DEFAULT_NORMALIZE_OPTIONS,
      log: pino({ level: "silent" }),
    });
    await worker.drain();
    const row = await getEvent(store.db, outcome?.id ?? "");
    expect(row?.status).toBe("failed");
    expect(row?.reason).toMatch(/deployment/);
  });

  it("never lets an ingest write join a worker's open transaction", async () => {
    database = await createTestDatabase(engine);
    const store = await open();
    const written = store.db.transaction().execute(async (trx) => {
      await trx.selectFrom("events").selectAll().execute();
      // While this transaction is open, an acknowledged write must not become part of it…
      const write = store.insertEvents([newEvent("during")]);
      await new Promise((r) => setTimeout(r, 50));
      throw Object.assign(new Error("rolled back"), { write });
    });
    const error = (await written.catch((e: unknown) => e)) as Error & { write: Promise<unknown> };
    await error.write;
    // …so the rollback does not take it along.
    expect((await listEvents(store.db, {}, { limit: 10 })).total).toBe(1);
  });
});
