import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { DeliveryObserver } from "../../src/delivery/delivery-observer.js";
import { DeliveryWorker } from "../../src/delivery/delivery-worker.js";
import { createRetryPolicy } from "../../src/delivery/retry-policy.js";
import type { DeployEvent } from "../../src/events/deploy-event.js";
import {
  type AttemptResult,
  type DeliveryContext,
  defineNotifier,
} from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";
import { openStore, type Store } from "../../src/store/database.js";
import {
  countDeliveriesByStatus,
  eventOrder,
  getDelivery,
  insertDeliveries,
  listDeliveries,
} from "../../src/store/deliveries-repository.js";
import { newId } from "../../src/store/ids.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { eventually } from "../helpers/shipcast.js";

type Script = (context: DeliveryContext) => Promise<AttemptResult>;

function deployEvent(occurredAt: string, overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "netlify",
    sourceEvent: "deploy_created",
    project: { name: "web" },
    environment: { name: "production", type: "PRODUCTION" },
    urls: {},
    occurredAt,
    ids: {},
    ...overrides,
  };
}

describe.each(ENGINES)("delivery engine on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let worker: DeliveryWorker | undefined;
  /** What the test notifier did, in order. */
  let calls: Array<{ deliveryId: string; occurredAt: string; attempt: number; at: number }>;

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await store.close();
    await database.drop();
  });

  async function setup(
    script: Script,
    options: {
      timeoutMs?: number;
      schedule?: number[];
      concurrency?: number;
      observer?: DeliveryObserver;
    } = {},
  ) {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    calls = [];
    const notifier = defineNotifier({
      kind: "test",
      settings: z.object({}),
      async deliver(_settings, context) {
        calls.push({
          deliveryId: context.deliveryId,
          occurredAt: context.event.occurredAt,
          attempt: context.attempt,
          at: Date.now(),
        });
        return script(context);
      },
    });
    worker = new DeliveryWorker({
      store,
      registry: new NotifierRegistry().register(notifier),
      targets: {
        get: (name) =>
          ["t", "t2"].includes(name) ? { name, kind: "test", settings: {} } : undefined,
      },
      // As the planner does: known names become deliveries, "refused" is refused, others vanish.
      planFollowUps: (_event, names) => ({
        planned: names
          .filter((name) => name === "t2")
          .map((target) => ({ target, kind: "test", subject: "s" })),
        skipped: names
          .filter((name) => name === "refused")
          .map((target) => ({ target, kind: "test", subject: "s", reason: "not allowed here" })),
      }),
      log: pino({ level: "silent" }),
      concurrency: options.concurrency ?? 4,
      timeoutMs: options.timeoutMs ?? 2000,
      retry: createRetryPolicy(options.schedule ?? [20, 20, 20], 0),
      pollIntervalMs: 20,
      observer: options.observer,
    });
  }

  /** Stores an event and its delivery to target `t`, as the event worker would. */
  async function enqueue(event: DeployEvent, subject = "s", target = "t"): Promise<string> {
    const id = newId("evt");
    const now = new Date().toISOString();
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("events")
        .values({
          id,
          source: event.source,
          dedupe_key: id,
          event_name: event.sourceEvent,
          received_at: now,
          status: "processed",
          reason: null,
          normalized: JSON.stringify(event),
          processed_at: now,
        })
        .execute();
      await insertDeliveries(
        trx,
        id,
        eventOrder(event.occurredAt, id),
        [{ target, kind: "test", subject }],
        now,
      );
    });
    const page = await listDeliveries(store.db, { eventId: id }, { limit: 1 });
    return page.items[0]?.id ?? "";
  }

  async function settled(id: string) {
    return eventually(async () => {
      const found = await getDelivery(store.db, id);
      return found && found.delivery.status !== "pending" ? found : undefined;
    });
  }

  it("tells its observer of an attempt only once the attempt and the delivery's outcome are on record", async () => {
    // What the store says at the moment the observer hears of each attempt.
    const seen: Array<Promise<{ status?: string; attempts: number }>> = [];
    await setup(async () => ({ outcome: "succeeded", httpStatus: 200 }), {
      concurrency: 2,
      observer: {
        attemptFinished(attempt) {
          seen.push(
            getDelivery(store.db, attempt.deliveryId).then((found) => ({
              status: found?.delivery.status,
              attempts: found?.attempts.length ?? 0,
            })),
          );
        },
        superseded() {},
      },
    });
    const ids = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await enqueue(deployEvent(`2026-01-01T00:00:0${i}Z`), `subject-${i % 3}`));
    }
    await worker?.start();
    for (const id of ids) await settled(id);
    await eventually(() => (seen.length === ids.length ? true : undefined));
    expect(await Promise.all(seen)).toEqual(ids.map(() => ({ status: "succeeded", attempts: 1 })));
  });

  it("never sends a delivery twice when it waited in the claimed buffer longer than its lease", async () => {
    // Receivers that hang until the timeout: each slot frees only after 700 ms, so the deliveries
    // claimed furthest ahead wait longer than their lease (3 timeouts + 1 s = 3.1 s). Started
    // then, their lease would run out mid-attempt and a claim would take them a second time.
    await setup(
      (context) =>
        new Promise<AttemptResult>((resolve) =>
          context.signal.addEventListener("abort", () =>
            resolve({ outcome: "failed", error: "no answer" }),
          ),
        ),
      { concurrency: 2, timeoutMs: 700 },
    );
    const ids = [];
    for (let i = 0; i < 14; i++) {
      ids.push(await enqueue(deployEvent(`2026-01-01T00:00:${10 + i}Z`), `subject-${i}`));
    }
    await worker?.start();
    for (const id of ids) {
      const found = await eventually(async () => {
        const delivery = await getDelivery(store.db, id);
        return delivery?.delivery.status === "failed" ? delivery : undefined;
      }, 30_000);
      expect(found.attempts).toHaveLength(1);
    }
    const sent = calls.map((call) => call.deliveryId);
    expect(sent.sort()).toEqual([...ids].sort());
  }, 40_000);

  it("retries retryable failures on the schedule and records every attempt", async () => {
    let n = 0;
    await setup(async () =>
      ++n < 3
        ? { outcome: "retry", error: "HTTP 500", httpStatus: 500, response: "oops" }
        : { outcome: "succeeded", httpStatus: 200, response: "ok" },
    );
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    const { delivery, attempts } = await settled(id);
    expect(delivery.status).toBe("succeeded");
    expect(attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "succeeded"]);
    expect(attempts[0]).toMatchObject({ http_status: 500, error: "HTTP 500", response: "oops" });
    expect(attempts[0]?.next_attempt_at).not.toBeNull();
    expect(attempts.every((a) => a.duration_ms >= 0)).toBe(true);
    expect(new Set(calls.map((c) => c.deliveryId))).toEqual(new Set([id]));
  });

  it("fails a delivery for good after the schedule is exhausted", async () => {
    await setup(async () => ({ outcome: "retry", error: "connection refused" }), {
      schedule: [10, 10],
    });
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    const { delivery, attempts } = await settled(id);
    expect(delivery.status).toBe("failed");
    expect(attempts).toHaveLength(3);
    expect(delivery.last_error).toBe("connection refused (retries exhausted)");
  });

  it("ends a delivery at the first permanent failure", async () => {
    await setup(async () => ({
      outcome: "failed",
      error: "HTTP 404 channel_not_found",
      httpStatus: 404,
    }));
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    const { delivery, attempts } = await settled(id);
    expect(delivery.status).toBe("failed");
    expect(attempts).toHaveLength(1);
  });

  it("records a delivery its notifier skipped, with the reason, after one attempt", async () => {
    await setup(async () => ({ outcome: "skipped", reason: "the app is not installed on o/r" }));
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    const { delivery, attempts } = await settled(id);
    expect(delivery.status).toBe("skipped");
    expect(delivery.last_error).toBe("skipped: the app is not installed on o/r");
    expect(attempts.map((a) => a.outcome)).toEqual(["skipped"]);
  });

  it("writes and delivers the follow-up targets a notifier names, for the same event", async () => {
    await setup(async () =>
      calls.length === 1
        ? { outcome: "succeeded", followUps: ["t2", "unknown"] }
        : { outcome: "succeeded" },
    );
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    await settled(id);
    const event = (await getDelivery(store.db, id))?.delivery.event_id ?? "";
    const all = await eventually(async () => {
      const page = await listDeliveries(store.db, { eventId: event }, { limit: 10 });
      return page.items.length === 2 && page.items.every((d) => d.status === "succeeded")
        ? page.items
        : undefined;
    });
    expect(all.map((d) => d.target).sort()).toEqual(["t", "t2"]);
    expect(calls).toHaveLength(2);
  });

  it("records a follow-up the planner refuses as a skipped delivery with the reason, and sends nothing to it", async () => {
    await setup(async () =>
      calls.length === 1
        ? { outcome: "skipped", reason: "nothing to post", followUps: ["refused", "t2"] }
        : { outcome: "succeeded" },
    );
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    await settled(id);
    const event = (await getDelivery(store.db, id))?.delivery.event_id ?? "";
    const all = await eventually(async () => {
      const page = await listDeliveries(store.db, { eventId: event }, { limit: 10 });
      return page.items.length === 3 && page.items.every((d) => d.status !== "pending")
        ? page.items
        : undefined;
    });
    const refused = all.find((d) => d.target === "refused");
    expect(refused).toMatchObject({ status: "skipped", last_error: "skipped: not allowed here" });
    const log = await getDelivery(store.db, refused?.id ?? "");
    expect(log?.attempts).toEqual([
      expect.objectContaining({ outcome: "skipped", error: "skipped: not allowed here" }),
    ]);
    expect(all.find((d) => d.target === "t2")?.status).toBe("succeeded");
    // The first delivery and t2's: nothing was attempted for the refused name.
    expect(calls).toHaveLength(2);
  });

  it("lets Retry-After lengthen a delay, never shorten it", async () => {
    let n = 0;
    await setup(async () =>
      ++n === 1
        ? { outcome: "retry", error: "HTTP 429", httpStatus: 429, retryAfterMs: 400 }
        : { outcome: "succeeded" },
    );
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    await settled(id);
    const gap = (calls[1]?.at ?? 0) - (calls[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(380);
  });

  it("aborts an attempt at the timeout and retries it", async () => {
    let n = 0;
    await setup(
      (context) =>
        ++n === 1
          ? new Promise((resolve) =>
              context.signal.addEventListener("abort", () =>
                resolve({ outcome: "retry", error: "timed out" }),
              ),
            )
          : Promise.resolve({ outcome: "succeeded" }),
      { timeoutMs: 150 },
    );
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"));
    await worker?.start();
    const { attempts } = await settled(id);
    expect(attempts[0]).toMatchObject({ outcome: "retry", error: "timed out" });
    expect(attempts[0]?.duration_ms).toBeGreaterThanOrEqual(140);
  });

  it("delivers one subject's events one at a time, in event order", async () => {
    let active = 0;
    let maxActive = 0;
    await setup(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 30));
      active--;
      return { outcome: "succeeded" };
    });
    // Enqueued out of order: the source times decide.
    const times = [
      "2026-01-01T00:00:03.000Z",
      "2026-01-01T00:00:01.000Z",
      "2026-01-01T00:00:02.000Z",
    ];
    const ids = [];
    for (const t of times) ids.push(await enqueue(deployEvent(t)));
    await worker?.start();
    for (const id of ids) await settled(id);
    expect(maxActive).toBe(1);
    expect(calls.map((c) => c.occurredAt)).toEqual([...times].sort());
  });

  it("runs different subjects in parallel", async () => {
    let active = 0;
    let maxActive = 0;
    await setup(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 100));
      active--;
      return { outcome: "succeeded" };
    });
    const ids = [];
    for (const subject of ["a", "b", "c"])
      ids.push(await enqueue(deployEvent("2026-01-01T00:00:00.000Z"), subject));
    await worker?.start();
    for (const id of ids) await settled(id);
    expect(maxActive).toBe(3);
  });

  it("skips, as superseded, an event older than one already delivered to that target and subject", async () => {
    await setup(async () => ({ outcome: "succeeded" }));
    await worker?.start();
    const newer = await enqueue(
      deployEvent("2026-01-01T00:00:05.000Z", { kind: "deploy.succeeded" }),
    );
    expect((await settled(newer)).delivery.status).toBe("succeeded");
    // A late "started" of the same deploy arrives after the success was published.
    const older = await enqueue(
      deployEvent("2026-01-01T00:00:01.000Z", { kind: "deploy.started" }),
    );
    const { delivery, attempts } = await settled(older);
    expect(delivery.status).toBe("superseded");
    expect(attempts).toHaveLength(0);
    expect(calls).toHaveLength(1);
    expect(await countDeliveriesByStatus(store.db)).toMatchObject({ succeeded: 1, superseded: 1 });
  });

  it("fails a delivery whose target is no longer configured", async () => {
    await setup(async () => ({ outcome: "succeeded" }));
    const id = await enqueue(deployEvent("2026-01-01T00:00:00.000Z"), "s", "gone");
    await worker?.start();
    const { delivery } = await settled(id);
    expect(delivery.status).toBe("failed");
    expect(delivery.last_error).toContain('"gone" is no longer configured');
  });
});
