/**
 * `npm run bench`: measures Shipcast's ingest path against two references, one after another,
 * each server in its own process and the load (autocannon) in this one:
 *
 *   bare         node:http + body + signature check (@octokit/webhooks-methods) + 202: the ceiling
 *   probot-noop  Probot's createNodeMiddleware with a no-op handler: what a plain Probot app costs
 *   shipcast     the real thing (`src/main.ts`): verify, commit to SQLite, then 202
 *
 * Every request is a signed real `deployment_status` payload with its own `X-GitHub-Delivery`.
 * Afterwards, Shipcast's store must hold exactly one event per 2xx it answered (warm-up included).
 *
 * Environment:
 *   BENCH_DURATION     measured seconds per server (default 10)
 *   BENCH_WARMUP       uncounted warm-up seconds per server (default 2)
 *   BENCH_CONNECTIONS  concurrent connections (default 50)
 *   BENCH_CPU_PROF     a folder: run Shipcast with --cpu-prof and write its profile there
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { envSchema } from "../src/config/env.js";
import { type LoadResult, runLoad } from "./load.js";
import { EVENT_NAME, loadDeploymentStatusBody, signBody, WEBHOOK_PATH } from "./payload.js";
import {
  type Child,
  killAll,
  removeOnExit,
  startChild,
  stopChild,
  waitForHttpOk,
  waitForReadyMessage,
} from "./processes.js";
import type { BareStats } from "./servers/bare-server.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const AIM_VS_BARE = 0.6;
const AIM_VS_PROBOT = 1.5;
const AIM_P99_MS = 25;

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  }
  return value;
}

const DURATION_SEC = numberFromEnv("BENCH_DURATION", 10);
const WARMUP_SEC = numberFromEnv("BENCH_WARMUP", 2);
const CONNECTIONS = Math.round(numberFromEnv("BENCH_CONNECTIONS", 50));
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF?.trim() || undefined;

const SECRET = randomBytes(32).toString("hex");
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const BODY = loadDeploymentStatusBody();
const HEADERS = {
  "content-type": "application/json",
  "user-agent": "GitHub-Hookshot/shipcast-bench",
  "x-github-event": EVENT_NAME,
  "x-github-hook-id": "1",
  // The signature covers the body only, so it is computed once for every request.
  "x-hub-signature-256": signBody(SECRET, BODY),
};

interface ServerRun {
  name: string;
  description: string;
  warmup: LoadResult;
  measured: LoadResult;
}

interface ShipcastStore {
  /** What the management API said after the load, or why it could not say. */
  api: { settleMs: number; pendingLeft: number; total: number } | { error: string };
  stored: number;
  byStatus: Record<string, number>;
  exit: number | string;
}

function progress(message: string): void {
  console.log(`· ${message}`);
}

async function measure(
  name: string,
  url: string,
): Promise<{ warmup: LoadResult; measured: LoadResult }> {
  const options = { url, body: BODY, headers: HEADERS, connections: CONNECTIONS };
  progress(`${name}: warm-up, ${WARMUP_SEC} s`);
  const warmup = await runLoad({ ...options, durationSec: WARMUP_SEC });
  progress(`${name}: measuring, ${DURATION_SEC} s`);
  const measured = await runLoad({ ...options, durationSec: DURATION_SEC });
  return { warmup, measured };
}

/** Environment for a bench server: ours, with tsx pointed at the project's tsconfig. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json"), ...extra };
}

/** Starts a reference server, loads it, runs `after` against it, and always stops it. */
async function benchSimpleServer<T>(
  name: string,
  script: string,
  description: string,
  after: (port: number) => Promise<T>,
): Promise<{ run: ServerRun; extra: T }> {
  progress(`${name}: starting`);
  const child = startChild({
    label: name,
    script: join(ROOT, script),
    cwd: ROOT,
    env: childEnv({ BENCH_WEBHOOK_SECRET: SECRET }),
    ipc: true,
  });
  try {
    const port = await waitForReadyMessage(child);
    const { warmup, measured } = await measure(name, `http://127.0.0.1:${port}${WEBHOOK_PATH}`);
    return { run: { name, description, warmup, measured }, extra: await after(port) };
  } finally {
    await stopChild(child);
  }
}

async function benchBare(): Promise<{ run: ServerRun; stats: BareStats }> {
  const { run, extra } = await benchSimpleServer(
    "bare",
    "bench/servers/bare-server.ts",
    "node:http + HMAC verify, 202",
    async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/bench-stats`);
      return (await response.json()) as BareStats;
    },
  );
  return { run, stats: extra };
}

async function benchProbot(): Promise<ServerRun> {
  const { run } = await benchSimpleServer(
    "probot-noop",
    "bench/servers/probot-noop.ts",
    "Probot 14 createNodeMiddleware, no-op handler",
    async () => undefined,
  );
  return run;
}

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

async function eventsTotal(base: string, status?: string): Promise<number> {
  const query = status ? `?limit=1&status=${status}` : "?limit=1";
  const response = await fetch(`${base}/api/v1/events${query}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (!response.ok) throw new Error(`GET /api/v1/events${query}: ${response.status}`);
  return ((await response.json()) as { total: number }).total;
}

/** Waits (up to a minute) until Shipcast's worker has processed every stored event. */
async function waitForWorker(base: string): Promise<{ settleMs: number; pendingLeft: number }> {
  const started = performance.now();
  for (;;) {
    const pending = await eventsTotal(base, "pending");
    const elapsed = performance.now() - started;
    if (pending === 0 || elapsed > 60_000) return { settleMs: elapsed, pendingLeft: pending };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counts the events in the SQLite file, read-only, once Shipcast has stopped. */
function countStored(file: string): { stored: number; byStatus: Record<string, number> } {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const total = db.prepare("SELECT count(*) AS n FROM events").get() as { n: number };
    const rows = db
      .prepare("SELECT status, count(*) AS n FROM events GROUP BY status ORDER BY status")
      .all() as { status: string; n: number }[];
    return { stored: total.n, byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
  } finally {
    db.close();
  }
}

/** Shipcast's environment: none of its settings inherited from ours, only the bench's. */
function shipcastEnv(port: number, dbFile: string): NodeJS.ProcessEnv {
  const env = childEnv({});
  for (const name of Object.keys(envSchema.shape)) delete env[name];
  return {
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${dbFile}`,
    WEBHOOK_SECRET: SECRET,
    SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: "warn",
  };
}

async function benchShipcast(): Promise<{ run: ServerRun; store: ShipcastStore }> {
  // A fresh store, and a working directory where no `.env` can change the configuration.
  const dir = mkdtempSync(join(os.tmpdir(), "shipcast-bench-"));
  const scratch = removeOnExit(dir);
  const dbFile = join(dir, "shipcast.db");
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
      env: shipcastEnv(port, dbFile),
      nodeArgs,
    });
    await waitForHttpOk(child, `${base}/healthz`);
    const { warmup, measured } = await measure("shipcast", `${base}${WEBHOOK_PATH}`);
    progress("shipcast: waiting for the worker to process every event");
    let api: ShipcastStore["api"];
    try {
      const { settleMs, pendingLeft } = await waitForWorker(base);
      api = { settleMs, pendingLeft, total: await eventsTotal(base) };
    } catch (error) {
      // The API is a convenience; the SQLite count below is what the check relies on.
      api = { error: error instanceof Error ? error.message : String(error) };
    }
    const exit = await stopChild(child);
    const { stored, byStatus } = countStored(dbFile);
    return {
      run: {
        name: "shipcast",
        description: "src/main.ts: verify, commit to SQLite, 202; worker on",
        warmup,
        measured,
      },
      store: { api, stored, byStatus, exit },
    };
  } finally {
    if (child) await stopChild(child);
    scratch.removeNow();
  }
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
  await new Promise((r) => setTimeout(r, durationMs));
  const after = sample();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

// ---------------------------------------------------------------------------------------------
// Output

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "n/a");
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");

function describeStatusCodes(result: LoadResult): string {
  const others = Object.entries(result.statusCodes).filter(([code]) => !code.startsWith("2"));
  return others.length === 0 ? "" : ` (${others.map(([c, n]) => `${c}: ${n}`).join(", ")})`;
}

function printRun(run: ServerRun): void {
  const { measured: m, warmup: w } = run;
  console.log(`\n${run.name} — ${run.description}`);
  console.log(`  requests/s (avg)   ${int(m.rps)}`);
  console.log(`  latency p50        ${ms(m.p50Ms)} ms`);
  console.log(`  latency p99        ${ms(m.p99Ms)} ms`);
  console.log(`  2xx                ${int(m.ok2xx)}   (warm-up: ${int(w.ok2xx)} more)`);
  console.log(
    `  non-2xx            ${int(m.non2xx)}${describeStatusCodes(m)}   (warm-up: ${int(w.non2xx)})`,
  );
  console.log(
    `  errors / timeouts  ${int(m.errors)} / ${int(m.timeouts)}   (warm-up: ${int(w.errors)} / ${int(w.timeouts)})`,
  );
  const unanswered = m.unanswered + w.unanswered;
  if (unanswered > 0)
    console.log(`  unanswered         ${int(unanswered)} requests never got an answer`);
}

function pad(cells: string[], widths: number[], rightAligned: boolean[]): string {
  const padded = cells.map((cell, i) => {
    const width = widths[i] ?? cell.length;
    return rightAligned[i] ? cell.padStart(width) : cell.padEnd(width);
  });
  return `| ${padded.join(" | ")} |`;
}

function table(runs: ServerRun[]): string[] {
  const header = ["server", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx+errors"];
  const right = [false, true, true, true, true, true];
  const rows = runs.map((run) => [
    `${run.name} (${run.description})`,
    int(run.measured.rps),
    ms(run.measured.p50Ms),
    ms(run.measured.p99Ms),
    int(run.measured.ok2xx),
    int(run.measured.non2xx + run.measured.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w)));
  return [
    pad(header, widths, right),
    `|${rule.map((r) => ` ${r} `).join("|")}|`,
    ...rows.map((r) => pad(r, widths, right)),
  ];
}

async function main(): Promise<number> {
  const cpus = os.cpus();
  console.log("Shipcast ingest benchmark");
  console.log(
    `  node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? "unknown"})`,
  );
  console.log(
    `  ${CONNECTIONS} connections; per server: ${WARMUP_SEC} s warm-up (not counted) + ${DURATION_SEC} s measured, one server at a time`,
  );
  const busy = await machineBusy(1000);
  console.log(
    `  CPUs busy before the run: ${(busy * 100).toFixed(0)}% over 1 s (other work on the machine skews every figure)`,
  );
  console.log(
    `  body: @octokit/webhooks-examples ${EVENT_NAME} (${int(BODY.length)} bytes), signed once; a new X-GitHub-Delivery per request`,
  );
  console.log("");

  const bare = await benchBare();
  const probot = await benchProbot();
  const shipcast = await benchShipcast();
  const runs = [bare.run, probot, shipcast.run];

  console.log("\nResults (measured window; latencies over every answered request)");
  for (const run of runs) printRun(run);

  const bareReceived = bare.stats.received;
  const distinctOk = bare.stats.distinctDeliveries === bareReceived;
  console.log(
    `\n  bare server saw ${int(bare.stats.distinctDeliveries)} distinct X-GitHub-Delivery ids in ${int(bareReceived)} webhooks: ${distinctOk ? "each request had its own" : "IDS REPEATED"}`,
  );

  const s = shipcast.run.measured;
  const vsBare = s.rps / bare.run.measured.rps;
  const vsProbot = s.rps / probot.measured.rps;
  const p99Met = s.p99Ms < AIM_P99_MS;
  console.log("\nShipcast against the aims (information only)");
  console.log(
    `  rps vs bare          ${ratio(vsBare)}   aim ≥ ${AIM_VS_BARE}×: ${vsBare >= AIM_VS_BARE ? "met" : "NOT met"}`,
  );
  console.log(
    `  rps vs probot-noop   ${ratio(vsProbot)}   aim ≥ ${AIM_VS_PROBOT}×: ${vsProbot >= AIM_VS_PROBOT ? "met" : "NOT met"}`,
  );
  console.log(`  p99 < ${AIM_P99_MS} ms         ${p99Met ? "yes" : "no"} (${ms(s.p99Ms)} ms)`);

  const st = shipcast.store;
  const answered2xx = shipcast.run.warmup.ok2xx + s.ok2xx;
  const unanswered = shipcast.run.warmup.unanswered + s.unanswered;
  const allStored = st.stored === answered2xx;
  const statuses = Object.entries(st.byStatus)
    .map(([status, n]) => `${status} ${int(n)}`)
    .join(", ");
  console.log("\nShipcast's store");
  const { api } = st;
  if ("error" in api) {
    console.log(`  management API       unavailable after the load: ${api.error}`);
  } else {
    console.log(
      `  worker               ${api.pendingLeft === 0 ? `no event pending ${(api.settleMs / 1000).toFixed(1)} s after the load` : `${int(api.pendingLeft)} events still pending after ${(api.settleMs / 1000).toFixed(0)} s`}`,
    );
  }
  const apiTotal = "error" in api ? "n/a" : int(api.total);
  console.log(
    `  events stored        ${int(st.stored)}   (SQLite count after stop; API total before stop: ${apiTotal}; ${statuses})`,
  );
  console.log(
    `  2xx answered         ${int(answered2xx)}   (warm-up ${int(shipcast.run.warmup.ok2xx)} + measured ${int(s.ok2xx)})`,
  );
  if (unanswered > 0) {
    console.log(
      `  unanswered requests  ${int(unanswered)} (may be stored without a 2xx having been read)`,
    );
  }
  console.log(`  shipcast exit        ${st.exit}`);
  console.log(`  every acknowledged event stored: ${allStored ? "yes" : "no"}`);

  console.log("\nTable (for the README)\n");
  console.log(
    `${CONNECTIONS} connections, ${DURATION_SEC} s per server after a ${WARMUP_SEC} s warm-up, ${int(BODY.length)}-byte signed \`${EVENT_NAME}\`, node ${process.version}, ${cpus.length} CPU(s), load generator on the same machine.\n`,
  );
  for (const line of table(runs)) console.log(line);
  console.log(
    `\nShipcast: ${ratio(vsBare)} bare (aim ≥ ${AIM_VS_BARE}×), ${ratio(vsProbot)} Probot no-op (aim ≥ ${AIM_VS_PROBOT}×), p99 ${ms(s.p99Ms)} ms (aim < ${AIM_P99_MS} ms); ${int(answered2xx)} acknowledged, ${int(st.stored)} stored.`,
  );

  if (!distinctOk)
    console.error("\nbench: delivery ids repeated, so the Shipcast figures are not valid");
  if (!allStored) {
    console.error(
      `\nbench: Shipcast stored ${int(st.stored)} events but answered ${int(answered2xx)} with 2xx`,
    );
  }
  return allStored && distinctOk ? 0 : 1;
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
