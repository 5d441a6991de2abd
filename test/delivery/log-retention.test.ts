import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LogRetention } from "../../src/delivery/log-retention.js";
import { openStore, type Store } from "../../src/store/database.js";
import { getDelivery, insertDeliveries } from "../../src/store/deliveries-repository.js";
import { recordAttempts } from "../../src/store/delivery-records.js";
import { getEvent, insertSystemEvent } from "../../src/store/events-repository.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

describe.each(ENGINES)("delivery log retention on %s", (engine) => {
  let store: Store | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  it("prunes attempts and payloads older than the retention, and keeps newer ones and the rows", async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    const db = store.db;
    const day = 86_400_000;
    const now = Date.parse("2026-11-23T12:00:00Z");
    const old = new Date(now - 10 * day).toISOString();
    const recent = new Date(now - day).toISOString();
    const ids: string[] = [];
    for (const at of [old, recent]) {
      await db.transaction().execute(async (trx) => {
        const eventId = await insertSystemEvent(trx, {
          eventName: "test",
          dedupeKey: `test:${at}`,
          normalized: "{}",
          now: at,
        });
        ids.push(eventId);
        await insertDeliveries(
          trx,
          eventId,
          `${at}|${eventId}`,
          [{ target: "t", kind: "slack", subject: "s" }],
          at,
        );
      });
    }
    const deliveries = await db
      .selectFrom("deliveries")
      .select(["id", "created_at"])
      .orderBy("created_at")
      .execute();
    await db.updateTable("deliveries").set({ attempts: 1 }).execute();
    await recordAttempts(
      db,
      deliveries.map((d) => ({
        deliveryId: d.id,
        attempt: 1,
        startedAt: d.created_at,
        durationMs: 5,
        outcome: "succeeded" as const,
        request: JSON.stringify({ method: "POST", url: "https://x", headers: {}, body: "{}" }),
      })),
    );
    await new LogRetention({ store, retentionMs: 7 * day, log: pino({ level: "silent" }) }).prune(
      now,
    );

    const [oldDelivery, newDelivery] = deliveries;
    expect((await getDelivery(db, oldDelivery?.id as string))?.attempts).toEqual([]);
    expect((await getDelivery(db, oldDelivery?.id as string))?.delivery.status).toBe("succeeded");
    expect((await getDelivery(db, newDelivery?.id as string))?.attempts).toHaveLength(1);
    expect((await getEvent(db, ids[0] as string))?.body).toBeNull();
    expect((await getEvent(db, ids[1] as string))?.body).toBe("{}");
  });
});
