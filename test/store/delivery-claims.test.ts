import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import {
  eventOrder,
  insertDeliveryBatch,
  requeueFailed,
} from "../../src/store/deliveries-repository.js";
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  deferDelivery,
} from "../../src/store/delivery-claims.js";
import { type AttemptRecord, recordAttempts } from "../../src/store/delivery-records.js";
import { insertSystemEvent } from "../../src/store/events-repository.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

const EVERY_EVENT = new Set(["log"]);
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe.each(ENGINES)("outbox queues on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let clock = 0;

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function setup() {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    clock = 0;
  }

  /**
   * Writes events (source times one second apart unless given) with one delivery each to
   * (target, subject), as the event worker does; returns the delivery ids, in the order given.
   */
  async function enqueue(
    items: Array<{ target?: string; subject: string; kind?: string; at?: number }>,
  ): Promise<string[]> {
    const now = new Date().toISOString();
    return store.db.transaction().execute(async (trx) => {
      const events = [];
      for (const item of items) {
        const occurredAt = new Date(Date.UTC(2026, 0, 1) + (item.at ?? clock++) * 1000);
        const eventId = await insertSystemEvent(trx, {
          eventName: "test",
          dedupeKey: `e${Math.random()}`,
          normalized: JSON.stringify({ occurredAt: occurredAt.toISOString() }),
          now,
        });
        events.push({
          eventId,
          order: eventOrder(occurredAt.toISOString(), eventId),
          planned: [
            { target: item.target ?? "t", kind: item.kind ?? "log", subject: item.subject },
          ],
        });
      }
      await insertDeliveryBatch(trx, events, now, { wait: true });
      const rows = await trx
        .selectFrom("deliveries")
        .select(["id", "event_id"])
        .where(
          "event_id",
          "in",
          events.map((e) => e.eventId),
        )
        .execute();
      return events.map((e) => rows.find((row) => row.event_id === e.eventId)?.id ?? "");
    });
  }

  function claim(options: { limit?: number; leaseMs?: number } = {}) {
    return claimDueDeliveries(store.db, {
      now: new Date().toISOString(),
      leaseUntil: later(options.leaseMs ?? 60_000),
      limit: options.limit ?? 50,
      everyEventKinds: EVERY_EVENT,
    });
  }

  function record(claimed: ClaimedDelivery, outcome: Partial<AttemptRecord> = {}) {
    return recordAttempts(store.db, [
      {
        deliveryId: claimed.id,
        attempt: claimed.attempts,
        startedAt: new Date().toISOString(),
        durationMs: 1,
        outcome: "succeeded",
        ...outcome,
      },
    ]);
  }

  /** Pending deliveries per queue, and how many of them a claim would look at (ready). */
  async function readiness() {
    const rows = await store.db
      .selectFrom("deliveries")
      .select(["target", "subject", "ready_at"])
      .where("status", "=", "pending")
      .execute();
    const queues = new Set(rows.map((row) => `${row.target}|${row.subject}`));
    return { queues: queues.size, ready: rows.filter((row) => row.ready_at !== null).length };
  }

  it("claims the head of each queue only, and a queue's next delivery once the previous is recorded", async () => {
    await setup();
    const [a1, a2, a3] = await enqueue([{ subject: "a" }, { subject: "a" }, { subject: "a" }]);
    const [b1] = await enqueue([{ subject: "b" }]);
    const first = await claim();
    expect(first.claimed.map((d) => d.id).sort()).toEqual([a1, b1].sort());
    expect((await claim()).claimed).toEqual([]);
    const a = first.claimed.find((d) => d.id === a1) as ClaimedDelivery;
    await record(a);
    expect((await claim()).claimed.map((d) => d.id)).toEqual([a2]);
    expect(a3).toBeTruthy();
  });

  it("keeps one delivery per queue where claims look, through writes, claims, retries, failures and replays", async () => {
    await setup();
    await enqueue([
      { subject: "a" },
      { subject: "a" },
      { subject: "a", target: "u" },
      { subject: "b" },
      { subject: "b" },
      { subject: "b" },
    ]);
    expect(await readiness()).toEqual({ queues: 3, ready: 3 });
    const heads = (await claim()).claimed;
    const head = (target: string, subject: string) =>
      heads.find((d) => d.target === target && d.subject === subject) as ClaimedDelivery;
    // One retries later, one fails for good, one succeeds.
    await record(head("t", "a"), { outcome: "retry", error: "500", nextAttemptAt: later(60_000) });
    await record(head("t", "b"), { outcome: "failed", error: "HTTP 404" });
    await record(head("u", "a"));
    expect(await readiness()).toEqual({ queues: 2, ready: 2 });
    // The retried head is not due yet, and its queue waits for it; b's second goes and fails.
    const next = (await claim()).claimed;
    expect(next.map((d) => [d.target, d.subject])).toEqual([["t", "b"]]);
    await record(next[0] as ClaimedDelivery, { outcome: "failed", error: "HTTP 404" });
    expect(await readiness()).toEqual({ queues: 2, ready: 2 });
    // Replaying the target's failures restarts b's queue from its oldest delivery.
    expect(await requeueFailed(store.db, "t", "2000-01-01T00:00:00.000Z", later(0))).toBe(2);
    expect(await readiness()).toEqual({ queues: 2, ready: 2 });
    const replayed = (await claim()).claimed;
    expect(replayed.map((d) => d.id)).toEqual([head("t", "b").id]);
  });

  it("lets an older event that arrives while a newer one is in flight wait for it, then go", async () => {
    await setup();
    const [newer] = await enqueue([{ subject: "a", at: 10 }]);
    const inFlight = (await claim()).claimed;
    expect(inFlight.map((d) => d.id)).toEqual([newer]);
    const [older] = await enqueue([{ subject: "a", at: 5 }]);
    expect((await claim()).claimed).toEqual([]);
    await record(inFlight[0] as ClaimedDelivery);
    expect((await claim()).claimed.map((d) => d.id)).toEqual([older]);
  });

  it("supersedes a head older than what its target already received, and moves its queue on", async () => {
    await setup();
    const [newest] = await enqueue([{ subject: "s", kind: "status", at: 10 }]);
    const sent = (await claim()).claimed;
    await record(sent[0] as ClaimedDelivery);
    const [late, later] = await enqueue([
      { subject: "s", kind: "status", at: 5 },
      { subject: "s", kind: "status", at: 20 },
    ]);
    const round = await claim();
    expect(round.superseded.map((d) => d.id)).toEqual([late]);
    // The next of the queue is claimable at once (here, or by the next claim).
    const next = round.claimed.length > 0 ? round.claimed : (await claim()).claimed;
    expect(next.map((d) => d.id)).toEqual([later]);
    const rows = await store.db
      .selectFrom("deliveries")
      .select(["id", "status", "last_error"])
      .execute();
    expect(rows.find((row) => row.id === late)).toMatchObject({
      status: "superseded",
      last_error: `superseded: a newer event was already delivered (${newest})`,
    });
  });

  it("does not let the record of an attempt whose lease was lost overwrite the newer attempt", async () => {
    await setup();
    await enqueue([{ subject: "a" }, { subject: "a" }]);
    // The first claim's lease runs out (its process looked dead) and the delivery is claimed again.
    const [lost] = (await claim({ leaseMs: -1 })).claimed as [ClaimedDelivery];
    const [again] = (await claim()).claimed as [ClaimedDelivery];
    expect(again.id).toBe(lost.id);
    expect(again.attempts).toBe(lost.attempts + 1);
    await record(lost, { outcome: "failed", error: "late answer" });
    const row = await store.db
      .selectFrom("deliveries")
      .selectAll()
      .where("id", "=", lost.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "pending", last_error: null });
    // The attempt itself is in the log all the same.
    const attempts = await store.db
      .selectFrom("delivery_attempts")
      .select(["attempt", "outcome"])
      .where("delivery_id", "=", lost.id)
      .execute();
    expect(attempts).toEqual([{ attempt: lost.attempts, outcome: "failed" }]);
    // Its queue did not move on either: nothing else is claimable until the live attempt ends.
    expect((await claim()).claimed).toEqual([]);
    await record(again);
    expect((await claim()).claimed).toHaveLength(1);
  });

  it("records a batch of attempts, each applied only to its own claim", async () => {
    await setup();
    await enqueue([{ subject: "a" }, { subject: "b" }, { subject: "c" }, { subject: "d" }]);
    const claimed = (await claim()).claimed;
    expect(claimed).toHaveLength(4);
    const [one, two, three, four] = claimed as ClaimedDelivery[];
    const now = new Date().toISOString();
    const base = { startedAt: now, durationMs: 1 };
    await recordAttempts(store.db, [
      { ...base, deliveryId: one?.id ?? "", attempt: one?.attempts ?? 0, outcome: "succeeded" },
      { ...base, deliveryId: two?.id ?? "", attempt: two?.attempts ?? 0, outcome: "succeeded" },
      // A stale attempt number: not this claim's.
      { ...base, deliveryId: three?.id ?? "", attempt: 99, outcome: "succeeded" },
      {
        ...base,
        deliveryId: four?.id ?? "",
        attempt: four?.attempts ?? 0,
        outcome: "skipped",
        error: "skipped: no",
      },
    ]);
    const rows = await store.db.selectFrom("deliveries").select(["id", "status"]).execute();
    const status = (id?: string) => rows.find((row) => row.id === id)?.status;
    expect([status(one?.id), status(two?.id), status(three?.id), status(four?.id)]).toEqual([
      "succeeded",
      "succeeded",
      "pending",
      "skipped",
    ]);
  });

  it("puts a delivery given back without an attempt at the head of its queue again", async () => {
    await setup();
    const [first] = await enqueue([{ subject: "a" }, { subject: "a" }]);
    const [claimed] = (await claim()).claimed as [ClaimedDelivery];
    await deferDelivery(store.db, { id: claimed.id, attempt: claimed.attempts, until: later(-1) });
    const again = (await claim()).claimed;
    expect(again.map((d) => [d.id, d.attempts])).toEqual([[first, claimed.attempts]]);
  });
});
