import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DeliveryWorker } from "../../src/delivery/delivery-worker.js";
import { createRetryPolicy } from "../../src/delivery/retry-policy.js";
import type { DeployEvent } from "../../src/events/deploy-event.js";
import { type DeliveryContext, defineNotifier } from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";
import { openStore, type Store } from "../../src/store/database.js";
import {
  countDeliveriesByStatus,
  eventOrder,
  insertDeliveries,
} from "../../src/store/deliveries-repository.js";
import { newId } from "../../src/store/ids.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { eventually } from "../helpers/shipcast.js";

function deployEvent(second: number): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "netlify",
    sourceEvent: "deploy_created",
    project: { name: "web" },
    environment: { name: "production", type: "PRODUCTION" },
    urls: {},
    occurredAt: new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString(),
    ids: {},
  };
}

/** One call of the test notifier. */
interface Call {
  queue: string;
  occurredAt: string;
  deliveryId: string;
}

describe.each(ENGINES)("delivery order on %s", (engine) => {
  let database: TestDatabase;
  const stores: Store[] = [];
  const workers: DeliveryWorker[] = [];

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    for (const store of stores.splice(0)) await store.close();
    await database.drop();
  });

  /**
   * A worker whose notifier (kind `log`, every event wanted, or `status`, superseded by newer
   * events) logs its calls and fails if two deliveries of one queue are ever sent at once.
   */
  function startWorker(
    store: Store,
    calls: Call[],
    options: { concurrency: number; pollIntervalMs: number; kind?: string },
  ): DeliveryWorker {
    const active = new Map<string, number>();
    const notifier = defineNotifier({
      kind: options.kind ?? "log",
      settings: z.object({ target: z.string() }),
      everyEvent: (options.kind ?? "log") === "log",
      async deliver(settings, context: DeliveryContext) {
        const queue = `${context.event.project.name}|${context.event.environment.name}|${settings.target}`;
        if ((active.get(queue) ?? 0) > 0) throw new Error(`two deliveries of ${queue} at once`);
        active.set(queue, 1);
        calls.push({ queue, occurredAt: context.event.occurredAt, deliveryId: context.deliveryId });
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
        active.set(queue, 0);
        return { outcome: "succeeded" };
      },
    });
    const worker = new DeliveryWorker({
      store,
      registry: new NotifierRegistry().register(notifier),
      targets: {
        get: (name) => ({ name, kind: options.kind ?? "log", settings: { target: name } }),
      },
      planFollowUps: () => ({ planned: [], skipped: [] }),
      log: pino({ level: "silent" }),
      concurrency: options.concurrency,
      timeoutMs: 5000,
      retry: createRetryPolicy([50], 0),
      pollIntervalMs: options.pollIntervalMs,
    });
    workers.push(worker);
    return worker;
  }

  /** Writes events `seconds` (source times) for project `name`, one delivery per target. */
  async function enqueue(
    store: Store,
    seconds: number[],
    targets: string[],
    options: { project?: string; kind?: string } = {},
  ): Promise<void> {
    const now = new Date().toISOString();
    await store.db.transaction().execute(async (trx) => {
      for (const second of seconds) {
        const event = { ...deployEvent(second), project: { name: options.project ?? "web" } };
        const id = newId("evt");
        await trx
          .insertInto("events")
          .values({
            id,
            source: "netlify",
            dedupe_key: id,
            event_name: "deploy_created",
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
          targets.map((target) => ({
            target,
            kind: options.kind ?? "log",
            subject: `${event.project.name}|${event.environment.name}|${target}`,
          })),
          now,
        );
      }
    });
  }

  function byQueue(calls: Call[]): Map<string, string[]> {
    const queues = new Map<string, string[]>();
    for (const call of calls)
      queues.set(call.queue, [...(queues.get(call.queue) ?? []), call.occurredAt]);
    return queues;
  }

  it("sends every queue's deliveries in event order, one at a time, with many queues sharing the slots", async () => {
    database = await createTestDatabase(engine);
    const store = await openStore(database.location);
    stores.push(store);
    const calls: Call[] = [];
    // Five projects × three targets = 15 queues of 8 events, written out of order.
    const seconds = [5, 1, 7, 3, 2, 8, 4, 6];
    for (const project of ["p1", "p2", "p3", "p4", "p5"]) {
      await enqueue(store, seconds, ["t1", "t2", "t3"], { project });
    }
    await startWorker(store, calls, { concurrency: 4, pollIntervalMs: 50 }).start();
    await eventually(
      async () => ((await countDeliveriesByStatus(store.db)).succeeded === 120 ? true : undefined),
      30_000,
    );
    expect(calls).toHaveLength(120);
    const queues = byQueue(calls);
    expect(queues.size).toBe(15);
    for (const times of queues.values()) expect(times).toEqual([...times].sort());
  });

  it("chains a one-subject queue through two processes: each next delivery goes as soon as the previous is recorded, with no poll", async () => {
    database = await createTestDatabase(engine);
    // PostgreSQL: two processes' worth of stores and workers. SQLite serves one process.
    const first = await openStore(database.location);
    stores.push(first);
    const second = engine === "postgres" ? await openStore(database.location) : first;
    if (second !== first) stores.push(second);
    const calls: Call[] = [];
    // A poll far longer than the test may take: only chaining can deliver the queue in time.
    const poll = { concurrency: 4, pollIntervalMs: 600_000 };
    const workerA = startWorker(first, calls, poll);
    const workerB = second === first ? undefined : startWorker(second, calls, poll);
    await enqueue(
      first,
      Array.from({ length: 15 }, (_, i) => i),
      ["hook"],
    );
    await workerA.start();
    await workerB?.start();
    await eventually(() => (calls.length >= 5 ? true : undefined), 20_000);
    // More events for the subject, written by the other process, which wakes its own worker.
    await enqueue(
      second,
      Array.from({ length: 15 }, (_, i) => 100 + i),
      ["hook"],
    );
    (workerB ?? workerA).wake();
    await eventually(
      async () => ((await countDeliveriesByStatus(first.db)).succeeded === 30 ? true : undefined),
      20_000,
    );
    const times = calls.map((call) => call.occurredAt);
    expect(times).toEqual([...times].sort());
    expect(new Set(calls.map((call) => call.deliveryId)).size).toBe(30);
    // Each attempt started after the previous delivery of the queue was recorded as done.
    const rows = await first.db
      .selectFrom("deliveries as d")
      .innerJoin("delivery_attempts as a", "a.delivery_id", "d.id")
      .select(["d.event_order", "d.completed_at", "a.started_at"])
      .orderBy("d.event_order")
      .execute();
    for (let i = 1; i < rows.length; i++) {
      expect(Date.parse(rows[i]?.started_at ?? "")).toBeGreaterThanOrEqual(
        Date.parse(rows[i - 1]?.completed_at ?? ""),
      );
    }
  });
});
