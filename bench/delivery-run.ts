/**
 * One measured delivery run, shared by the benchmark's parts: a fresh store, one or more Shipcast
 * processes on it with a routing file of webhook targets on the receiver, N signed events sent,
 * the deliveries awaited at the receiver, then the processes stopped and the store read. Measured
 * from outside: N×M / (last arrival − first acknowledgement), and per delivery, arrival −
 * acknowledgement of its event (delivery → event from the store, read after Shipcast stopped).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchEvent } from "./events.js";
import { routingFile } from "./events.js";
import { counts, type Figure, int, ms, progress, sec } from "./print.js";
import { scratchDir } from "./processes.js";
import type { Arrival, ArrivalCount, Receiver } from "./receiver.js";
import { type Ingest, sendEvents, sleep } from "./sender.js";
import { ShipcastProcess } from "./shipcast-process.js";
import { type Spread, spread } from "./stats.js";
import {
  type AttemptFacts,
  deliveriesByStatus,
  type Engine,
  eventsByStatus,
  freshDatabase,
  openBenchStore,
  readStoreFacts,
  type Store,
  type StoreFacts,
  total,
} from "./store.js";

export interface DeliveryRunOptions {
  /** Shown in progress lines and in front of the processes' output. */
  label: string;
  engine: Engine;
  /** Shipcast processes sharing the store (more than one: PostgreSQL). */
  processes: number;
  receiver: Receiver;
  events: BenchEvent[];
  /** Webhook targets; each gets every event. */
  targets: number;
  /** Secret of Shipcast's Netlify source (the events' signatures). */
  sourceSecret: string;
  /** Secret the webhook targets sign with. */
  targetSecret: string;
  /** DELIVERY_CONCURRENCY of each process. */
  concurrency: number;
  /** Events in flight while sending. */
  senders: number;
  /** How long to wait for the deliveries once every event is acknowledged. */
  timeoutMs: number;
  cpuProfDir?: string;
}

interface Wait {
  how: "all arrived" | "settled" | "timed out";
  waitedMs: number;
  count: ArrivalCount;
}

/** A finished run, analysed. */
export interface DeliveryRun {
  options: DeliveryRunOptions;
  where: string;
  expected: number;
  ingest: Ingest;
  wait: Wait;
  store: StoreFacts;
  exits: Array<number | string>;
  /** Distinct deliveries the receiver got, and requests in all (re-sends included). */
  received: number;
  requests: number;
  /** Requests without X-Shipcast-Delivery, or with an id the store does not know. */
  unknown: number;
  /** Distinct ordering subjects of the deliveries. */
  subjects: number;
  /** N×M / (last arrival − first acknowledgement). */
  rate: number;
  windowMs: number;
  /** Arrival (first) − acknowledgement of its event. */
  latency: Spread;
  /** Deliveries per second once every event was acknowledged (no ingest competing). */
  drainRate: number;
  /** Where a delivery's time goes, from the store's timestamps (first attempt). */
  stages: Array<{ name: string; spread: Spread }>;
  meanInFlight: number;
  /** Deliveries never received, by target. */
  missingByTarget: Record<string, number>;
}

/**
 * Waits until the receiver has a request for every delivery, or Shipcast has nothing left to do
 * (no pending event, no pending delivery: a failed delivery will never arrive), or the time is up.
 */
async function waitForDeliveries(
  receiver: Receiver,
  store: Store,
  expected: number,
  timeoutMs: number,
): Promise<Wait> {
  const started = performance.now();
  let lastLook = started;
  for (;;) {
    const count = await receiver.count();
    const waitedMs = performance.now() - started;
    if (count.distinct >= expected) return { how: "all arrived", waitedMs, count };
    if (waitedMs > timeoutMs) return { how: "timed out", waitedMs, count };
    if (performance.now() - lastLook > 1000) {
      lastLook = performance.now();
      const events = await eventsByStatus(store);
      const deliveries = await deliveriesByStatus(store);
      if (!events.pending && !deliveries.pending) {
        return { how: "settled", waitedMs, count: await receiver.count() };
      }
    }
    await sleep(25);
  }
}

/** Runs Shipcast on a fresh store, sends the events, waits for the deliveries, and analyses. */
export async function runDeliveries(options: DeliveryRunOptions): Promise<DeliveryRun> {
  const [run] = await runDeliveryBatches(options, [options.events]);
  if (run === undefined) throw new Error("no run");
  return run;
}

/**
 * Like `runDeliveries`, but sends several batches of events one after the other to the same
 * processes and store (each batch once the previous one has arrived, the receiver emptied in
 * between), and analyses each batch on its own. The first batch meets a process just started;
 * the next ones a process whose code the first has warmed up (V8 compiles the hot paths
 * optimized only after they have run a while), as a server that has been up for some time is.
 */
export async function runDeliveryBatches(
  options: DeliveryRunOptions,
  batches: BenchEvent[][],
): Promise<DeliveryRun[]> {
  const { label, receiver } = options;
  const scratch = scratchDir(`shipcast-${label}-`);
  const database = await freshDatabase(options.engine, scratch.dir);
  const configFile = join(scratch.dir, "shipcast.yml");
  writeFileSync(configFile, routingFile(receiver.port, options.targets, options.targetSecret));
  // Opened first: the tables exist before the processes start, and the wait reads them.
  const store = await openBenchStore(database.url);
  const shipcasts: ShipcastProcess[] = [];
  try {
    progress(`${label}: starting ${options.processes} Shipcast process(es) on ${database.where}`);
    for (let i = 0; i < options.processes; i++) {
      shipcasts.push(
        await ShipcastProcess.start({
          label: options.processes > 1 ? `${label}-${i + 1}` : label,
          cwd: scratch.dir,
          databaseUrl: database.url,
          cpuProfDir: options.cpuProfDir,
          settings: {
            NETLIFY_JWS_SECRET: options.sourceSecret,
            SHIPCAST_CONFIG: configFile,
            DELIVERY_CONCURRENCY: String(options.concurrency),
            // The receiver listens on loopback, which the network guard blocks unless told so.
            ALLOW_LOCAL_NETWORK: "true",
          },
        }),
      );
    }
    const sent: Array<{ events: BenchEvent[]; ingest: Ingest; wait: Wait; arrivals: Arrival[] }> =
      [];
    for (const [index, events] of batches.entries()) {
      const last = index === batches.length - 1;
      const which = batches.length > 1 ? ` (batch ${index + 1} of ${batches.length})` : "";
      if (index > 0) await receiver.reset();
      progress(
        `${label}: sending ${int(events.length)} events, ${options.senders} at a time${which}`,
      );
      const ingest = await sendEvents(events, {
        bases: shipcasts.map((s) => s.base),
        senders: options.senders,
        attempts: 1,
      });
      const expected = events.length * options.targets;
      progress(
        `${label}: ${int(ingest.acks.size)} acknowledged in ${sec(ingest.lastAck - ingest.firstSend, 2)} s; waiting for ${int(expected)} deliveries (at most ${sec(options.timeoutMs, 0)} s)`,
      );
      const wait = await waitForDeliveries(receiver, store, expected, options.timeoutMs);
      progress(`${label}: ${wait.how} after ${sec(wait.waitedMs)} s${last ? "; stopping" : ""}`);
      // The last batch's arrivals are read after the stop: attempts in flight finish before
      // Shipcast exits, and count.
      sent.push({ events, ingest, wait, arrivals: last ? [] : await receiver.arrivals() });
    }
    const exits: Array<number | string> = [];
    for (const shipcast of shipcasts) exits.push(await shipcast.stop());
    const lastBatch = sent.at(-1);
    if (lastBatch) lastBatch.arrivals = await receiver.arrivals();
    const runs: DeliveryRun[] = [];
    for (const { events, ingest, wait, arrivals } of sent) {
      // One batch: the whole store (an event stored but never acknowledged counts as well).
      const ofBatch = batches.length > 1 ? new Set(ingest.acks.keys()) : undefined;
      const facts = await readStoreFacts(store, ofBatch);
      const expected = events.length * options.targets;
      runs.push(
        analyse(
          { ...options, events },
          database.where,
          expected,
          ingest,
          wait,
          facts,
          exits,
          arrivals,
        ),
      );
    }
    return runs;
  } finally {
    for (const shipcast of shipcasts) await shipcast.stop();
    await store.close();
    await database.drop();
    scratch.removeNow();
  }
}

function analyse(
  options: DeliveryRunOptions,
  where: string,
  expected: number,
  ingest: Ingest,
  wait: Wait,
  store: StoreFacts,
  exits: Array<number | string>,
  arrivals: Arrival[],
): DeliveryRun {
  const deliveries = new Map(store.deliveries.map((row) => [row.id, row]));
  const firstAttempt = new Map<string, AttemptFacts>();
  for (const attempt of store.attempts) {
    const known = firstAttempt.get(attempt.delivery_id);
    if (!known || attempt.attempt < known.attempt) firstAttempt.set(attempt.delivery_id, attempt);
  }
  const firstArrival = new Map<string, number>();
  let unknown = 0;
  for (const [at, , id] of arrivals) {
    if (id === null || !deliveries.has(id)) {
      unknown++;
      continue;
    }
    const known = firstArrival.get(id);
    if (known === undefined || at < known) firstArrival.set(id, at);
  }

  const latencies: number[] = [];
  const routed: number[] = [];
  const queued: number[] = [];
  const onTheWire: number[] = [];
  const attemptMs: number[] = [];
  const recorded: number[] = [];
  let lastArrival = 0;
  for (const [id, at] of firstArrival) {
    lastArrival = Math.max(lastArrival, at);
    const row = deliveries.get(id);
    const ack = row ? ingest.acks.get(row.event_id) : undefined;
    if (row === undefined || ack === undefined) continue;
    latencies.push(at - ack);
    const created = Date.parse(row.created_at);
    routed.push(created - ack);
    const attempt = firstAttempt.get(id);
    if (attempt === undefined) continue;
    const started = Date.parse(attempt.started_at);
    queued.push(started - created);
    onTheWire.push(at - started);
    attemptMs.push(attempt.duration_ms);
    if (row.completed_at !== null && attempt.attempt === 1) {
      recorded.push(Date.parse(row.completed_at) - (started + attempt.duration_ms));
    }
  }

  const windowMs = lastArrival - ingest.firstAck;
  let afterIngest = 0;
  for (const at of firstArrival.values()) if (at > ingest.lastAck) afterIngest++;
  const busyMs = store.attempts.reduce((sum, a) => sum + a.duration_ms, 0);
  const missingByTarget: Record<string, number> = {};
  for (const row of store.deliveries) {
    if (!firstArrival.has(row.id) && row.status !== "superseded") {
      missingByTarget[row.target] = (missingByTarget[row.target] ?? 0) + 1;
    }
  }
  return {
    options,
    where,
    expected,
    ingest,
    wait,
    store,
    exits,
    received: firstArrival.size,
    requests: arrivals.length,
    unknown,
    subjects: new Set(store.deliveries.map((row) => row.subject)).size,
    rate: firstArrival.size / (windowMs / 1000),
    windowMs,
    latency: spread(latencies),
    drainRate: afterIngest / ((lastArrival - ingest.lastAck) / 1000),
    stages: [
      // Negative when the worker wrote the rows before the 202 reached the bench.
      { name: "acknowledged → delivery row written (event worker)", spread: spread(routed) },
      { name: "row written → first attempt started (outbox wait)", spread: spread(queued) },
      { name: "attempt started → request at receiver", spread: spread(onTheWire) },
      { name: "attempt duration (duration_ms)", spread: spread(attemptMs) },
      { name: "attempt ended → delivery completed (recording)", spread: spread(recorded) },
    ],
    meanInFlight: busyMs / windowMs,
    missingByTarget,
  };
}

/** Deliveries the receiver never got (superseded ones are not expected). */
export function missing(run: DeliveryRun): number {
  return Math.max(0, run.expected - (run.store.byStatus.superseded ?? 0) - run.received);
}

/** The figures of a run, under `heading`. */
export function runFigures(run: DeliveryRun): Figure[] {
  const { ingest, options, store } = run;
  const ingestMs = ingest.lastAck - ingest.firstSend;
  const problems =
    Object.keys(ingest.problems).length > 0 ? `; problems: ${counts(ingest.problems)}` : "";
  const stages: Figure[] = run.stages.map(({ name, spread: s }) => [
    `  ${name}`,
    `p50 ${ms(s.p50).padStart(8)} ms   p99 ${ms(s.p99).padStart(8)} ms`,
  ]);
  return [
    [
      "events acknowledged",
      `${int(ingest.acks.size)} of ${int(options.events.length)} (${int(ingest.acks.size / (ingestMs / 1000))}/s while sending)${problems}`,
    ],
    [
      "deliveries received",
      `${int(run.received)} of ${int(run.expected)} (${run.wait.how} ${sec(run.wait.waitedMs)} s after the last acknowledgement)`,
    ],
    [
      "deliveries/s",
      `${int(run.rate)}   (${int(run.received)} in ${sec(run.windowMs, 2)} s, first ack → last arrival)`,
    ],
    [
      "after the last ack",
      `${int(run.drainRate)} deliveries/s (delivering only, no ingest competing)`,
    ],
    [
      "ack → arrival",
      `p50 ${ms(run.latency.p50)} ms, p99 ${ms(run.latency.p99)} ms, max ${ms(run.latency.max)} ms`,
    ],
    [
      "requests",
      `${int(run.requests)} (${int(run.requests - run.received - run.unknown)} re-sends; ${int(run.unknown)} without a known delivery id)`,
    ],
    [
      "attempts in flight",
      `${run.meanInFlight.toFixed(1)} on average of ${options.processes} × DELIVERY_CONCURRENCY ${options.concurrency}`,
    ],
    ["ordering subjects", `${int(run.subjects)} × ${options.targets} target(s)`],
    ["where a delivery's time goes", "(store timestamps, ms precision; first attempt)"],
    ...stages,
    ["store", `${run.where}, read after Shipcast stopped`],
    ["  events", `${int(total(store.events))} (${counts(store.events)})`],
    ["  deliveries", `${int(store.deliveries.length)} (${counts(store.byStatus)})`],
    ["  attempts logged", `${int(store.attempts.length)} (${counts(store.attemptsByOutcome)})`],
    [
      "  every success logged",
      store.succeededWithoutAttempt === 0
        ? "yes"
        : `NO (${int(store.succeededWithoutAttempt)} succeeded deliveries have no attempt row)`,
    ],
    ["  shipcast exit", run.exits.join(", ")],
    [
      "  never arrived",
      Object.keys(run.missingByTarget).length > 0
        ? `${counts(run.missingByTarget)} (by target)`
        : "",
    ],
  ];
}
