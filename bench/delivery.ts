/**
 * `npm run bench:delivery`: measures Shipcast's delivery path (acknowledged event → Slack request
 * at the target) against a bare loop that sends the same requests with the same client.
 *
 *   receiver  bench/delivery-receiver.ts, its own process: answers `200 ok` to every POST and
 *             records arrival time, path and X-Shipcast-Delivery. Its own process so that it
 *             shares an event loop with neither Shipcast nor the bare loop.
 *   shipcast  `src/main.ts` on a fresh SQLite file, with a routing file of M `slack` targets on
 *             the receiver and one route to all of them. N signed Netlify `deploy_created` events
 *             are posted by a pool of senders in this process; each 202 is timed. Measured: N×M /
 *             (last arrival − first acknowledgement), and per delivery, arrival − acknowledgement
 *             of its event (delivery → event from the SQLite file, read after Shipcast stopped).
 *   bare      a loop in this process posting the same Slack bodies to the same paths through the
 *             same client (`createOutboundHttp()`), with as many requests in flight as Shipcast's
 *             DELIVERY_CONCURRENCY. Runs after Shipcast, never at the same time.
 *
 * Exits non-zero only when deliveries went missing.
 *
 * Environment:
 *   BENCH_EVENTS                events sent (default 2000)
 *   BENCH_TARGETS               slack targets, each gets every event (default 4)
 *   BENCH_SUBJECTS              distinct PRs (review_id) the events cycle through (default 50)
 *   BENCH_DELIVERY_CONCURRENCY  DELIVERY_CONCURRENCY for Shipcast and the bare loop (default 8)
 *   BENCH_SENDERS               concurrent event senders (default 20)
 *   BENCH_TIMEOUT               seconds to wait for the deliveries (default 120)
 *   BENCH_CPU_PROF              a folder: run Shipcast with --cpu-prof and write its profile there
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { envSchema } from "../src/config/env.js";
import { createOutboundHttp } from "../src/outbound/http-client.js";
import {
  type BenchEvent,
  buildEvents,
  FIXTURE,
  hookPath,
  NETLIFY_PATH,
  routingFile,
} from "./delivery-events.js";
import type { Arrival, ArrivalCount } from "./delivery-receiver.js";
import {
  type Child,
  killAll,
  removeOnExit,
  startChild,
  stopChild,
  waitForHttpOk,
  waitForReadyMessage,
} from "./processes.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const AIM_VS_BARE = 0.5;

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

const EVENTS = numberFromEnv("BENCH_EVENTS", 2000);
const TARGETS = numberFromEnv("BENCH_TARGETS", 4);
const SUBJECTS = numberFromEnv("BENCH_SUBJECTS", 50);
const CONCURRENCY = numberFromEnv("BENCH_DELIVERY_CONCURRENCY", 8);
const SENDERS = numberFromEnv("BENCH_SENDERS", 20);
const TIMEOUT_MS = numberFromEnv("BENCH_TIMEOUT", 120) * 1000;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF?.trim() || undefined;
const EXPECTED = EVENTS * TARGETS;

const SECRET = randomBytes(32).toString("hex");
const ADMIN_TOKEN = randomBytes(24).toString("hex");

/** Epoch milliseconds with sub-millisecond resolution (the receiver uses the same clock). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function progress(message: string): void {
  console.log(`· ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Statistics

interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function spread(values: number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  };
}

// ---------------------------------------------------------------------------------------------
// The receiver

interface Receiver {
  child: Child;
  port: number;
  base: string;
}

async function startReceiver(): Promise<Receiver> {
  const child = startChild({
    label: "receiver",
    script: join(ROOT, "bench/delivery-receiver.ts"),
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json") },
    ipc: true,
  });
  const port = await waitForReadyMessage(child);
  return { child, port, base: `http://127.0.0.1:${port}` };
}

async function receiverCount(receiver: Receiver): Promise<ArrivalCount> {
  const response = await fetch(`${receiver.base}/_bench/count`);
  return (await response.json()) as ArrivalCount;
}

async function receiverArrivals(receiver: Receiver): Promise<Arrival[]> {
  const response = await fetch(`${receiver.base}/_bench/arrivals`);
  return (await response.json()) as Arrival[];
}

async function resetReceiver(receiver: Receiver): Promise<void> {
  const response = await fetch(`${receiver.base}/_bench/arrivals`, { method: "DELETE" });
  await response.arrayBuffer();
}

// ---------------------------------------------------------------------------------------------
// The bare loop

interface BareRun {
  sent: number;
  ok: number;
  failed: number;
  /** First error or non-200, for the report. */
  firstProblem: string | undefined;
  /** Deliveries per second: received / (last arrival − first request started). */
  rate: number;
  windowMs: number;
  /** Request sent → answer read. */
  latency: Spread;
  /** Mean requests in flight over the window. */
  meanInFlight: number;
  received: number;
}

/**
 * Posts every (event × target) Slack body to its target's path, `CONCURRENCY` requests in
 * flight, through Shipcast's outbound client. Bodies are built beforehand: this is the transport
 * alone. `limit` cuts the run short (the warm-up).
 */
async function runBare(receiver: Receiver, events: BenchEvent[], limit = EXPECTED) {
  // The receiver is on loopback: opened as ALLOW_LOCAL_NETWORK opens it for the Shipcast run.
  const http = createOutboundHttp({ guard: { allowLocal: true } });
  const urls = Array.from({ length: TARGETS }, (_, i) => `${receiver.base}${hookPath(i)}`);
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstProblem: string | undefined;
  let firstStart = Number.POSITIVE_INFINITY;
  const worker = async () => {
    for (;;) {
      const job = next++;
      if (job >= limit) return;
      const event = events[Math.floor(job / TARGETS) % events.length];
      const url = urls[job % TARGETS];
      if (event === undefined || url === undefined) return;
      const started = now();
      firstStart = Math.min(firstStart, started);
      try {
        const response = await http.fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-shipcast-delivery": `bare_${job}`,
          },
          body: event.slackBody,
        });
        await response.text();
        latencies.push(now() - started);
        if (response.status === 200) ok++;
        else {
          failed++;
          firstProblem ??= `HTTP ${response.status}`;
        }
      } catch (error) {
        failed++;
        firstProblem ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const arrivals = await receiverArrivals(receiver);
  const lastArrival = arrivals.reduce((last, [at]) => Math.max(last, at), 0);
  const windowMs = lastArrival - firstStart;
  const busyMs = latencies.reduce((sum, value) => sum + value, 0);
  return {
    sent: limit,
    ok,
    failed,
    firstProblem,
    rate: arrivals.length / (windowMs / 1000),
    windowMs,
    latency: spread(latencies),
    meanInFlight: busyMs / windowMs,
    received: arrivals.length,
  } satisfies BareRun;
}

// ---------------------------------------------------------------------------------------------
// Shipcast

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePort(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

/** Shipcast's environment: none of its settings inherited from ours, only the bench's. */
function shipcastEnv(port: number, dbFile: string, configFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json"),
  };
  for (const name of Object.keys(envSchema.shape)) delete env[name];
  return {
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${dbFile}`,
    NETLIFY_JWS_SECRET: SECRET,
    SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
    SHIPCAST_CONFIG: configFile,
    DELIVERY_CONCURRENCY: String(CONCURRENCY),
    // The receivers listen on loopback, which the network guard blocks unless told otherwise.
    ALLOW_LOCAL_NETWORK: "true",
    LOG_LEVEL: "warn",
  };
}

interface Ingest {
  /** Acknowledgement time (epoch ms) by event id. */
  acks: Map<string, number>;
  /** Non-202 answers and errors, by what happened. */
  problems: Record<string, number>;
  firstSend: number;
  firstAck: number;
  lastAck: number;
}

/** Posts every event, `SENDERS` at a time, and times each 202. */
async function sendEvents(base: string, events: BenchEvent[]): Promise<Ingest> {
  const url = `${base}${NETLIFY_PATH}`;
  const acks = new Map<string, number>();
  const problems: Record<string, number> = {};
  let next = 0;
  let firstAck = Number.POSITIVE_INFINITY;
  let lastAck = 0;
  const firstSend = now();
  const sender = async () => {
    for (;;) {
      const event = events[next++];
      if (event === undefined) return;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "Netlify",
            "x-webhook-signature": event.signature,
          },
          body: event.body,
        });
        const text = await response.text();
        const at = now();
        const id = response.status === 202 ? (JSON.parse(text) as { id?: unknown }).id : undefined;
        if (typeof id === "string") {
          acks.set(id, at);
          firstAck = Math.min(firstAck, at);
          lastAck = Math.max(lastAck, at);
        } else {
          const what = `HTTP ${response.status}`;
          problems[what] = (problems[what] ?? 0) + 1;
        }
      } catch (error) {
        const what = error instanceof Error ? error.message : String(error);
        problems[what] = (problems[what] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return { acks, problems, firstSend, firstAck, lastAck };
}

async function apiTotal(base: string, path: string): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return ((await response.json()) as { total: number }).total;
}

interface Wait {
  how: "all arrived" | "settled" | "timed out";
  waitedMs: number;
  count: ArrivalCount;
}

/**
 * Waits until the receiver has a request for every delivery, or Shipcast has nothing left to do
 * (no pending event, no pending delivery: a superseded or failed delivery will never arrive), or
 * the time is up.
 */
async function waitForDeliveries(receiver: Receiver, base: string): Promise<Wait> {
  const started = performance.now();
  let lastLook = started;
  for (;;) {
    const count = await receiverCount(receiver);
    const waitedMs = performance.now() - started;
    if (count.distinct >= EXPECTED) return { how: "all arrived", waitedMs, count };
    if (waitedMs > TIMEOUT_MS) return { how: "timed out", waitedMs, count };
    if (performance.now() - lastLook > 1000) {
      lastLook = performance.now();
      try {
        const events = await apiTotal(base, "/api/v1/events?status=pending&limit=1");
        const deliveries = await apiTotal(base, "/api/v1/deliveries?status=pending&limit=1");
        if (events === 0 && deliveries === 0) {
          return { how: "settled", waitedMs, count: await receiverCount(receiver) };
        }
      } catch {
        // The API is a shortcut; the receiver's count and the timeout decide without it.
      }
    }
    await sleep(25);
  }
}

interface DeliveryRow {
  id: string;
  event_id: string;
  target: string;
  status: string;
  created_at: string;
  completed_at: string | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  outcome: string;
}

interface StoreFacts {
  events: number;
  eventsByStatus: Record<string, number>;
  deliveries: DeliveryRow[];
  byStatus: Record<string, number>;
  attempts: AttemptRow[];
  attemptsByOutcome: Record<string, number>;
  /** Succeeded deliveries without an attempt row. */
  succeededWithoutAttempt: number;
}

/** Reads the SQLite file, read-only, once Shipcast has stopped. */
function readStore(file: string): StoreFacts {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const group = (sql: string) =>
      Object.fromEntries(
        (db.prepare(sql).all() as { key: string; n: number }[]).map((r) => [r.key, r.n]),
      );
    const events = (db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
    const missingAttempts = db
      .prepare(
        `SELECT count(*) AS n FROM deliveries d WHERE d.status = 'succeeded'
         AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = d.id)`,
      )
      .get() as { n: number };
    return {
      events,
      eventsByStatus: group("SELECT status AS key, count(*) AS n FROM events GROUP BY status"),
      deliveries: db
        .prepare(
          "SELECT id, event_id, target, status, created_at, completed_at FROM deliveries ORDER BY id",
        )
        .all() as DeliveryRow[],
      byStatus: group("SELECT status AS key, count(*) AS n FROM deliveries GROUP BY status"),
      attempts: db
        .prepare(
          "SELECT delivery_id, attempt, started_at, duration_ms, outcome FROM delivery_attempts",
        )
        .all() as AttemptRow[],
      attemptsByOutcome: group(
        "SELECT outcome AS key, count(*) AS n FROM delivery_attempts GROUP BY outcome",
      ),
      succeededWithoutAttempt: missingAttempts.n,
    };
  } finally {
    db.close();
  }
}

interface ShipcastRun {
  ingest: Ingest;
  wait: Wait;
  store: StoreFacts;
  exit: number | string;
  /** Distinct deliveries the receiver got, and requests in all (re-sends included). */
  received: number;
  requests: number;
  /** Requests without X-Shipcast-Delivery, or with an id the store does not know. */
  unknown: number;
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
  missingByTarget: Record<string, number>;
}

async function benchShipcast(receiver: Receiver, events: BenchEvent[]): Promise<ShipcastRun> {
  // A fresh store, and a working directory where no `.env` can change the configuration.
  const dir = mkdtempSync(join(os.tmpdir(), "shipcast-delivery-bench-"));
  const scratch = removeOnExit(dir);
  const dbFile = join(dir, "shipcast.db");
  const configFile = join(dir, "shipcast.yml");
  writeFileSync(configFile, routingFile(receiver.port, TARGETS));
  const nodeArgs: string[] = [];
  if (CPU_PROF_DIR) {
    mkdirSync(resolve(CPU_PROF_DIR), { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${resolve(CPU_PROF_DIR)}`);
  }
  let child: Child | undefined;
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    progress(`shipcast: starting (store ${dbFile})`);
    child = startChild({
      label: "shipcast",
      script: join(ROOT, "src/main.ts"),
      cwd: dir,
      env: shipcastEnv(port, dbFile, configFile),
      nodeArgs,
    });
    await waitForHttpOk(child, `${base}/healthz`);
    progress(`shipcast: sending ${EVENTS} events, ${SENDERS} at a time`);
    const ingest = await sendEvents(base, events);
    progress(
      `shipcast: ${ingest.acks.size} acknowledged in ${((ingest.lastAck - ingest.firstSend) / 1000).toFixed(2)} s; waiting for ${EXPECTED} deliveries (at most ${TIMEOUT_MS / 1000} s)`,
    );
    const wait = await waitForDeliveries(receiver, base);
    progress(`shipcast: ${wait.how} after ${(wait.waitedMs / 1000).toFixed(1)} s; stopping`);
    const exit = await stopChild(child);
    // After the stop: attempts in flight finish before Shipcast exits, and count.
    const arrivals = await receiverArrivals(receiver);
    const store = readStore(dbFile);
    return analyse(ingest, wait, store, exit, arrivals);
  } finally {
    if (child) await stopChild(child);
    scratch.removeNow();
  }
}

function analyse(
  ingest: Ingest,
  wait: Wait,
  store: StoreFacts,
  exit: number | string,
  arrivals: Arrival[],
): ShipcastRun {
  const deliveries = new Map(store.deliveries.map((row) => [row.id, row]));
  const firstAttempt = new Map<string, AttemptRow>();
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
    ingest,
    wait,
    store,
    exit,
    received: firstArrival.size,
    requests: arrivals.length,
    unknown,
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

/** Share of all CPUs' time spent busy (by anything) during the next `durationMs`. */
async function machineBusy(durationMs: number): Promise<number> {
  const sample = () => {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      busy += times.user + times.nice + times.sys + times.irq;
      total += times.user + times.nice + times.sys + times.irq + times.idle;
    }
    return { busy, total };
  };
  const before = sample();
  await sleep(durationMs);
  const after = sample();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

// ---------------------------------------------------------------------------------------------
// Output

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${int(n)}`)
    .join(", ") || "none";

function pad(cells: string[], widths: number[], rightAligned: boolean[]): string {
  const padded = cells.map((cell, i) => {
    const width = widths[i] ?? cell.length;
    return rightAligned[i] ? cell.padStart(width) : cell.padEnd(width);
  });
  return `| ${padded.join(" | ")} |`;
}

function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w)));
  return [
    pad(header, widths, right),
    `|${rule.map((r) => ` ${r} `).join("|")}|`,
    ...rows.map((r) => pad(r, widths, right)),
  ];
}

function printShipcast(s: ShipcastRun): void {
  const ingestSec = (s.ingest.lastAck - s.ingest.firstSend) / 1000;
  console.log("\nshipcast — src/main.ts on SQLite: ingest, event worker, delivery workers");
  console.log(
    `  events acknowledged   ${int(s.ingest.acks.size)} of ${int(EVENTS)} (${int(s.ingest.acks.size / ingestSec)}/s while sending)${Object.keys(s.ingest.problems).length > 0 ? `; problems: ${counts(s.ingest.problems)}` : ""}`,
  );
  console.log(
    `  deliveries received   ${int(s.received)} of ${int(EXPECTED)} (${s.wait.how} ${(s.wait.waitedMs / 1000).toFixed(1)} s after the last acknowledgement)`,
  );
  console.log(
    `  deliveries/s          ${int(s.rate)}   (${int(s.received)} in ${(s.windowMs / 1000).toFixed(2)} s, first ack → last arrival)`,
  );
  console.log(
    `  after the last ack    ${int(s.drainRate)} deliveries/s (delivering only, no ingest competing)`,
  );
  console.log(
    `  ack → arrival         p50 ${ms(s.latency.p50)} ms, p99 ${ms(s.latency.p99)} ms, max ${ms(s.latency.max)} ms`,
  );
  console.log(
    `  requests              ${int(s.requests)} (${int(s.requests - s.received - s.unknown)} re-sends; ${int(s.unknown)} without a known delivery id)`,
  );
  console.log(
    `  attempts in flight    ${s.meanInFlight.toFixed(1)} on average of DELIVERY_CONCURRENCY ${CONCURRENCY}`,
  );
  console.log("  where a delivery's time goes (store timestamps, ms precision; first attempt):");
  for (const stage of s.stages) {
    console.log(
      `    ${stage.name.padEnd(54)} p50 ${ms(stage.spread.p50).padStart(8)} ms   p99 ${ms(stage.spread.p99).padStart(8)} ms`,
    );
  }
  const st = s.store;
  console.log("  store (SQLite, read after Shipcast stopped)");
  console.log(`    events              ${int(st.events)} (${counts(st.eventsByStatus)})`);
  console.log(`    deliveries          ${int(st.deliveries.length)} (${counts(st.byStatus)})`);
  console.log(
    `    attempts logged     ${int(st.attempts.length)} (${counts(st.attemptsByOutcome)})`,
  );
  console.log(
    `    attempts logged: ${st.succeededWithoutAttempt === 0 ? "yes" : `NO (${int(st.succeededWithoutAttempt)} succeeded deliveries have no attempt row)`}`,
  );
  console.log(`    shipcast exit       ${s.exit}`);
  if (Object.keys(s.missingByTarget).length > 0) {
    console.log(`    never arrived       ${counts(s.missingByTarget)} (by target)`);
  }
}

function printBare(b: BareRun): void {
  console.log(
    `\nbare — createOutboundHttp().fetch in a loop, ${CONCURRENCY} in flight, same bodies and paths`,
  );
  console.log(
    `  requests              ${int(b.sent)}: ${int(b.ok)} answered 200, ${int(b.failed)} failed${b.firstProblem ? ` (first: ${b.firstProblem})` : ""}`,
  );
  console.log(`  received              ${int(b.received)} of ${int(EXPECTED)}`);
  console.log(
    `  deliveries/s          ${int(b.rate)}   (${int(b.received)} in ${(b.windowMs / 1000).toFixed(2)} s, first request → last arrival)`,
  );
  console.log(
    `  request latency       p50 ${ms(b.latency.p50)} ms, p99 ${ms(b.latency.p99)} ms, max ${ms(b.latency.max)} ms`,
  );
  console.log(`  requests in flight    ${b.meanInFlight.toFixed(1)} on average`);
}

async function main(): Promise<number> {
  const cpus = os.cpus();
  console.log("Shipcast delivery benchmark");
  console.log(
    `  node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? "unknown"})`,
  );
  console.log(
    `  ${int(EVENTS)} events × ${TARGETS} slack targets = ${int(EXPECTED)} deliveries; DELIVERY_CONCURRENCY ${CONCURRENCY} (Shipcast and bare); ${SENDERS} event senders`,
  );

  const busy = await machineBusy(1000);
  console.log(
    `  CPUs busy before the run: ${(busy * 100).toFixed(0)}% over 1 s (other work on the machine skews every figure)`,
  );

  progress(`building and signing ${int(EVENTS)} events from ${FIXTURE}`);
  const events = await buildEvents(ROOT, SECRET, EVENTS, SUBJECTS);
  const subjects = new Map<string, number>();
  for (const e of events) subjects.set(e.subject, (subjects.get(e.subject) ?? 0) + 1);
  const example = events[0]?.subject ?? "n/a";
  const sizes = [...subjects.values()];
  console.log(
    `  subject spread: review_id cycles 1..${Math.min(SUBJECTS, EVENTS)} (i % ${SUBJECTS}) → ${subjects.size} subjects (e.g. "${example}"), ${Math.min(...sizes)}–${Math.max(...sizes)} events each; × ${TARGETS} targets = ${int(subjects.size * TARGETS)} ordered queues`,
  );
  console.log(
    `  bodies: Netlify ${int(events[0]?.body.length ?? 0)} bytes (signed JWS each), Slack ${int(events[0]?.slackBody.length ?? 0)} bytes`,
  );
  console.log("");

  progress("receiver: starting (own process)");
  const receiver = await startReceiver();
  try {
    const warmup = Math.min(EXPECTED, 1000);
    progress(`receiver: warm-up, ${warmup} bare requests (not counted)`);
    await runBare(receiver, events, warmup);
    await resetReceiver(receiver);

    const shipcast = await benchShipcast(receiver, events);
    await resetReceiver(receiver);

    progress(`bare: ${int(EXPECTED)} requests, ${CONCURRENCY} in flight`);
    const bare = await runBare(receiver, events);

    console.log("\nResults");
    printShipcast(shipcast);
    printBare(bare);

    const vsBare = shipcast.rate / bare.rate;
    const met = vsBare >= AIM_VS_BARE;
    console.log("\nShipcast against the aim (information only)");
    console.log(
      `  deliveries/s vs bare  ${ratio(vsBare)}   aim ≥ ${AIM_VS_BARE}× the bare loop on SQLite: ${met ? "met" : "NOT met"}`,
    );

    const superseded = shipcast.store.byStatus.superseded ?? 0;
    const missing = EXPECTED - superseded - shipcast.received;
    const bareMissing = EXPECTED - bare.received;

    console.log("\nTable (for the README)\n");
    console.log(
      `${int(EVENTS)} Netlify \`deploy_created\` events × ${TARGETS} \`slack\` targets = ${int(EXPECTED)} deliveries to a local \`200 ok\` receiver (own process), DELIVERY_CONCURRENCY ${CONCURRENCY}, ${subjects.size} subjects, SQLite, node ${process.version}, ${cpus.length} CPU(s).\n`,
    );
    const header = ["run", "deliveries", "deliveries/s", "p50 ms", "p99 ms", "latency is"];
    const right = [false, true, true, true, true, false];
    const rows = [
      [
        "shipcast (src/main.ts, SQLite)",
        `${int(shipcast.received)}/${int(EXPECTED)}`,
        int(shipcast.rate),
        ms(shipcast.latency.p50),
        ms(shipcast.latency.p99),
        "event 202 → request at receiver",
      ],
      [
        `bare (undici loop, ${CONCURRENCY} in flight)`,
        `${int(bare.received)}/${int(EXPECTED)}`,
        int(bare.rate),
        ms(bare.latency.p50),
        ms(bare.latency.p99),
        "request → answer",
      ],
    ];
    for (const line of table(header, rows, right)) console.log(line);
    console.log(
      `\nShipcast: ${ratio(vsBare)} the bare loop's deliveries/s (aim ≥ ${AIM_VS_BARE}×); attempts logged: ${shipcast.store.succeededWithoutAttempt === 0 ? "yes" : "no"}; ${int(superseded)} superseded, ${int(Math.max(0, missing))} missing.`,
    );

    if (missing > 0) {
      console.error(
        `\nbench: ${int(missing)} Shipcast deliveries never reached the receiver (${shipcast.wait.how}; statuses: ${counts(shipcast.store.byStatus)})`,
      );
    }
    if (bareMissing > 0) {
      console.error(`\nbench: ${int(bareMissing)} bare-loop requests never reached the receiver`);
    }
    return missing > 0 || bareMissing > 0 ? 1 : 0;
  } finally {
    await stopChild(receiver.child);
  }
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error("\nbench failed:", error instanceof Error ? (error.stack ?? error.message) : error);
  code = 1;
} finally {
  killAll();
}
process.exit(code);
