/**
 * The Prometheus metrics of one Shipcast (README "Metrics"), in a registry of its own so that
 * several Shipcasts can run in one process. Counters count what this process did: with several
 * processes on PostgreSQL, sum them over the processes. Queue gauges are read from the store at
 * each scrape, so every process reports the same, true figures.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { DeliveryObserver } from "../delivery/delivery-observer.js";
import type { ProcessedEvent } from "../ingest/event-worker.js";
import type { Store } from "../store/database.js";
import {
  type DeliveryQueueStats,
  deliveryQueueStats,
  notificationStateCounts,
  pendingEventCount,
} from "../store/queue-stats.js";

/** What became of one request to a source route. */
export type WebhookOutcome = "accepted" | "duplicate" | "rejected" | "aborted";

export interface ShipcastMetrics {
  readonly registry: Registry;
  /** A request to a source route was answered (`reason` for a rejection). */
  webhookAnswered(source: string, outcome: WebhookOutcome, reason?: string): void;
  /** The event worker committed a batch. */
  eventsProcessed(processed: readonly ProcessedEvent[]): void;
  /** Counts the delivery workers' attempts and finished deliveries. */
  readonly deliveries: DeliveryObserver;
  /** The text exposition of every metric, with its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  store: Pick<Store, "db" | "engine">;
  version: string;
  /** Source names: their counters start at 0, so that rates exist before the first event. */
  sources: readonly string[];
  /** Output kinds: their queue gauges read 0 rather than nothing when none is pending. */
  kinds: readonly string[];
}

/** Buckets of the attempt duration, in seconds: chat and webhook answers to slow SMTP servers. */
const ATTEMPT_SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the registry and every metric of one Shipcast, with the process's default metrics. */
export function createMetrics(options: MetricsOptions): ShipcastMetrics {
  const { store, sources, kinds } = options;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: "shipcast_info",
    help: "Always 1; the labels say which Shipcast version runs on which store engine",
    labelNames: ["version", "engine"],
    registers,
  }).set({ version: options.version, engine: store.engine }, 1);

  const received = new Counter({
    name: "shipcast_events_received_total",
    help: "Requests to the source routes, by source and outcome (accepted, duplicate, rejected with its reason, aborted by the client)",
    labelNames: ["source", "outcome", "reason"],
    registers,
  });
  const processed = new Counter({
    name: "shipcast_events_processed_total",
    help: "Inbox events processed by this process's event worker, by source and outcome (processed, ignored, failed)",
    labelNames: ["source", "outcome"],
    registers,
  });
  const attempts = new Counter({
    name: "shipcast_delivery_attempts_total",
    help: "Delivery attempts made by this process, by output kind and outcome (succeeded, skipped, retry, failed)",
    labelNames: ["kind", "outcome"],
    registers,
  });
  const finished = new Counter({
    name: "shipcast_deliveries_total",
    help: "Deliveries finished by this process, by output kind and outcome (succeeded, skipped, failed: given up, superseded)",
    labelNames: ["kind", "outcome"],
    registers,
  });
  const duration = new Histogram({
    name: "shipcast_delivery_attempt_duration_seconds",
    help: "Duration of delivery attempts, by output kind",
    labelNames: ["kind"],
    buckets: ATTEMPT_SECONDS,
    registers,
  });
  for (const source of sources) {
    for (const outcome of ["accepted", "duplicate"]) received.inc({ source, outcome }, 0);
    for (const outcome of ["processed", "ignored", "failed"]) processed.inc({ source, outcome }, 0);
  }
  for (const kind of kinds) {
    for (const outcome of ["succeeded", "retry", "failed"]) attempts.inc({ kind, outcome }, 0);
    for (const outcome of ["succeeded", "failed"]) finished.inc({ kind, outcome }, 0);
  }

  // One query serves the three delivery gauges of a scrape (they are collected together).
  const queue = shared(() => deliveryQueueStats(store.db, new Date().toISOString()));
  const byKind = (rows: DeliveryQueueStats[]) => {
    const all = new Map<string, DeliveryQueueStats>(
      kinds.map((kind) => [kind, { kind, pending: 0, due: 0, oldestDueAt: null }]),
    );
    for (const row of rows) all.set(row.kind, row);
    return [...all.values()];
  };
  new Gauge({
    name: "shipcast_store_up",
    help: "1 when the store answered this scrape's queries, 0 when it did not",
    registers,
    async collect() {
      this.set(
        await queue().then(
          () => 1,
          () => 0,
        ),
      );
    },
  });
  new Gauge({
    name: "shipcast_events_pending",
    help: "Inbox events received and not yet processed (from the store)",
    registers,
    async collect() {
      this.reset();
      const count = await pendingEventCount(store.db).catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
  new Gauge({
    name: "shipcast_deliveries_pending",
    help: "Deliveries not yet finished, by output kind: waiting for their time, their turn or a worker (from the store)",
    labelNames: ["kind"],
    registers,
    async collect() {
      this.reset();
      const rows = await queue().catch(() => undefined);
      for (const row of rows ? byKind(rows) : []) this.set({ kind: row.kind }, row.pending);
    },
  });
  new Gauge({
    name: "shipcast_deliveries_due",
    help: "Pending deliveries due now and not being attempted: waiting for a worker, by output kind (from the store)",
    labelNames: ["kind"],
    registers,
    async collect() {
      this.reset();
      const rows = await queue().catch(() => undefined);
      for (const row of rows ? byKind(rows) : []) this.set({ kind: row.kind }, row.due);
    },
  });
  new Gauge({
    name: "shipcast_deliveries_oldest_due_age_seconds",
    help: "Seconds since the longest-waiting due delivery became due, by output kind; 0 when none is due (from the store)",
    labelNames: ["kind"],
    registers,
    async collect() {
      this.reset();
      const rows = await queue().catch(() => undefined);
      const now = Date.now();
      for (const row of rows ? byKind(rows) : []) {
        const age = row.oldestDueAt === null ? 0 : (now - Date.parse(row.oldestDueAt)) / 1000;
        this.set({ kind: row.kind }, Math.max(0, age));
      }
    },
  });
  new Gauge({
    name: "shipcast_notifications",
    help: "Notifications managed through the API, by delivery health: active, paused, disabled (from the store)",
    labelNames: ["state"],
    registers,
    async collect() {
      this.reset();
      const counts = await notificationStateCounts(store.db, new Date().toISOString()).catch(
        () => undefined,
      );
      if (!counts) return;
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });

  return {
    registry,
    webhookAnswered(source, outcome, reason) {
      received.inc(reason === undefined ? { source, outcome } : { source, outcome, reason });
    },
    eventsProcessed(list) {
      for (const result of list) {
        processed.inc({ source: result.row.source, outcome: result.status });
      }
    },
    deliveries: {
      attemptFinished(attempt) {
        const { kind } = attempt;
        attempts.inc({ kind, outcome: attempt.outcome });
        duration.observe({ kind }, attempt.durationMs / 1000);
        if (attempt.status !== "pending") finished.inc({ kind, outcome: attempt.status });
      },
      superseded(deliveries) {
        for (const d of deliveries) finished.inc({ kind: d.kind, outcome: "superseded" });
      },
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * `load`, called at most once at a time: callers while it runs share its promise. The gauges of
 * one scrape are collected together, so they share one query.
 */
function shared<T>(load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= load().finally(() => {
      running = undefined;
    });
    return running;
  };
}
