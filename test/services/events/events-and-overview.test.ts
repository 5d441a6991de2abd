import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { sampleEvent } from "../../../src/events/sample-event.js";
import { EventsService } from "../../../src/services/events/events-service.js";
import { OverviewService } from "../../../src/services/overview/overview-service.js";
import { decodeCursor } from "../../../src/services/paging.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { insertDeliveries } from "../../../src/store/deliveries-repository.js";
import { markEventProcessed } from "../../../src/store/events-repository.js";
import { idFloor } from "../../../src/store/ids.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../helpers/databases.js";

const HOUR = 3_600_000;

describe.each(ENGINES)("events and overview services on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let events: EventsService;
  const ids: string[] = [];

  /** Stores a processed event received at `at` with the given kind and project. */
  async function addEvent(at: number, kind: DeployEvent["kind"], project: string) {
    // The id of that time (ulid() never goes back in time within a process).
    const id = idFloor("evt", at);
    const event = { ...sampleEvent(kind as never, new Date(at)), project: { name: project } };
    await store.insertEvents([
      {
        id,
        source: "netlify",
        dedupeKey: id,
        eventName: "deploy_created",
        receivedAt: new Date(at).toISOString(),
        headers: "{}",
        body: "{}",
        status: "pending",
        reason: null,
      },
    ]);
    await store.db.transaction().execute(async (trx) => {
      await markEventProcessed(trx, id, {
        status: "processed",
        reason: null,
        normalized: JSON.stringify(event),
        now: new Date(at).toISOString(),
      });
    });
    return id;
  }

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    events = new EventsService(store);
    const now = Date.now();
    // Two days ago, then 12 events in the last hours: kinds and projects alternate.
    ids.push(await addEvent(now - 48 * HOUR, "deploy.failed", "web-shop"));
    for (let i = 0; i < 12; i++) {
      const kind = i % 3 === 0 ? "deploy.failed" : "deploy.succeeded";
      ids.push(await addEvent(now - (12 - i) * HOUR, kind, i % 2 === 0 ? "web-shop" : "docs"));
    }
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it("filters by kind and by project, newest first, with the total", async () => {
    const failed = await events.list({ kind: "deploy.failed" }, { limit: 50 });
    expect(failed.total).toBe(5);
    expect(failed.items.every((e) => e.kind === "deploy.failed")).toBe(true);
    const docs = await events.list({ project: "docs" }, { limit: 50 });
    expect(docs.total).toBe(6);
    expect(docs.items.map((e) => e.project)).toEqual(Array(6).fill("docs"));
    const both = await events.list({ kind: "deploy.failed", project: "web-shop" }, { limit: 50 });
    expect(both.items.map((e) => e.id)).toEqual([ids[7], ids[1], ids[0]]);
    expect((await events.list({ project: "Docs" }, { limit: 50 })).total).toBe(0);
  });

  it("pages by keyset: each page starts after the last id of the one before", async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await events.list({ project: "web-shop" }, { limit: 3, after });
      seen.push(...page.items.map((e) => e.id));
      if (!page.next) break;
      after = decodeCursor(page.next);
    }
    expect(seen).toEqual([ids[11], ids[9], ids[7], ids[5], ids[3], ids[1], ids[0]]);
  });

  it("lists what is newer than an event, for the live list", async () => {
    const newer = await events.newer({ kind: "deploy.succeeded" }, ids[9] as string);
    expect(newer.map((e) => e.id)).toEqual([ids[12], ids[11]]);
  });

  it("counts the last 24 hours only, and lists the latest failures", async () => {
    const recent = ids.slice(1);
    await store.db.transaction().execute(async (trx) => {
      for (const [i, id] of recent.entries()) {
        await insertDeliveries(
          trx,
          id,
          `${i}`,
          [{ target: "t", kind: "webhook", subject: `s${i}` }],
          new Date().toISOString(),
        );
      }
    });
    const rows = await store.db.selectFrom("deliveries").select("id").orderBy("id").execute();
    await store.db
      .updateTable("deliveries")
      .set({ status: "failed", last_error: "the receiver answered 500" })
      .where(
        "id",
        "in",
        rows.slice(0, 2).map((r) => r.id),
      )
      .execute();
    await store.db
      .updateTable("deliveries")
      .set({ status: "succeeded" })
      .where(
        "id",
        "in",
        rows.slice(2, 7).map((r) => r.id),
      )
      .execute();
    const overview = await new OverviewService({
      store,
      notifications: { list: async () => [] },
    }).overview();
    expect(overview.events.total).toBe(12);
    expect(overview.events.processed).toBe(12);
    expect(overview.deliveries).toMatchObject({ total: 12, failed: 2, succeeded: 5, pending: 5 });
    expect(overview.failures.map((f) => f.id)).toEqual([rows[1]?.id, rows[0]?.id]);
  });

  it.runIf(engine === "sqlite")(
    "walks the kind and project indexes for a filtered page",
    async () => {
      // The planner's choice for the dashboard's filtered page (SQLite's plan is deterministic).
      for (const [column, value] of [
        ["json_extract(normalized, '$.kind')", "deploy.failed"],
        ["json_extract(normalized, '$.project.name')", "docs"],
      ]) {
        const plan = await store.db.executeQuery<{ detail: string }>({
          sql: `explain query plan select * from events where ${column} = ? order by id desc limit 51`,
          parameters: [value],
          query: { kind: "RawNode", sqlFragments: [], parameters: [] } as never,
          queryId: { queryId: "plan" },
        });
        const details = plan.rows.map((r) => r.detail).join("\n");
        expect(details).toMatch(/USING INDEX events_(kind|project)_id/);
        expect(details).not.toMatch(/TEMP B-TREE/);
      }
    },
  );
});
