/**
 * `npm run bench:ingest` (the first half of `npm run bench`): measures Shipcast's ingest path against two references, one after another,
 * each server in its own process and the load (autocannon) in this one:
 *
 *   bare         node:http + body + signature check (@octokit/webhooks-methods) + 202: the ceiling
 *   probot-noop  Probot's createNodeMiddleware with a no-op handler: what a plain Probot app costs
 *   shipcast     the real thing (`src/main.ts`): verify, commit to SQLite, then 202, on the
 *                GitHub route of WEBHOOK_SECRET, then on the route of a GitHub source created
 *                through the API (`/api/sources/<id>/webhooks`, same secret): the same speed is
 *                the aim
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
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.js";
import { EVENT_NAME, loadDeploymentStatusBody, signBody, WEBHOOK_PATH } from "./payload.js";
import {
  againstAim,
  briefMachine,
  counts,
  type Figure,
  int,
  markdownTable,
  ms,
  printFigures,
  printPreamble,
  progress,
  ratio,
} from "./print.js";
import {
  childEnv,
  ROOT,
  runEntry,
  scratchDir,
  startChild,
  stopChild,
  waitForReadyMessage,
} from "./processes.js";
import type { BareStats } from "./servers/bare-server.js";
import { numberSetting, textSetting } from "./settings.js";
import { ShipcastProcess } from "./shipcast-process.js";
import { eventsByStatus, freshDatabase, openBenchStore, type Store, total } from "./store.js";

const AIM_VS_BARE = 0.6;
const AIM_VS_PROBOT = 1.5;
const AIM_P99_MS = 25;

const DURATION_SEC = numberSetting("BENCH_DURATION", 10, { fraction: true });
const WARMUP_SEC = numberSetting("BENCH_WARMUP", 2, { fraction: true });
const CONNECTIONS = numberSetting("BENCH_CONNECTIONS", 50);
const CPU_PROF_DIR = textSetting("BENCH_CPU_PROF");

const SECRET = randomBytes(32).toString("hex");
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const ENCRYPTION_KEY = randomBytes(32).toString("base64");
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

/** Creates a GitHub source with the bench's secret through the API; resolves with its path. */
async function createSource(base: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/sources`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ kind: "github", name: "bench", secret: SECRET }),
  });
  if (res.status !== 201)
    throw new Error(`creating the bench source: ${res.status} ${await res.text()}`);
  return new URL(((await res.json()) as { url: string }).url).pathname;
}

interface ShipcastStore {
  /** How long after the load the worker had processed every event, or how many it had not. */
  worker: { settleMs: number; pendingLeft: number; storedBeforeStop: number };
  stored: number;
  byStatus: Record<string, number>;
  exit: number | string;
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

/** Waits (up to a minute) until Shipcast's worker has processed every stored event. */
async function waitForWorker(store: Store): Promise<ShipcastStore["worker"]> {
  const started = performance.now();
  for (;;) {
    const byStatus = await eventsByStatus(store);
    const pendingLeft = byStatus.pending ?? 0;
    const settleMs = performance.now() - started;
    if (pendingLeft === 0 || settleMs > 60_000) {
      return { settleMs, pendingLeft, storedBeforeStop: total(byStatus) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function benchShipcast(): Promise<{
  run: ServerRun;
  perSource: ServerRun;
  store: ShipcastStore;
}> {
  // A fresh store, and a working directory where no `.env` can change the configuration.
  const scratch = scratchDir("shipcast-bench-");
  const database = await freshDatabase("sqlite", scratch.dir);
  let shipcast: ShipcastProcess | undefined;
  try {
    progress(`shipcast: starting (store ${database.where})`);
    shipcast = await ShipcastProcess.start({
      label: "shipcast",
      cwd: scratch.dir,
      databaseUrl: database.url,
      settings: {
        WEBHOOK_SECRET: SECRET,
        SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
        SHIPCAST_ENCRYPTION_KEY: ENCRYPTION_KEY,
      },
      cpuProfDir: CPU_PROF_DIR,
    });
    const { warmup, measured } = await measure("shipcast", `${shipcast.base}${WEBHOOK_PATH}`);
    const sourcePath = await createSource(shipcast.base);
    const perSource = await measure("shipcast per-source", `${shipcast.base}${sourcePath}`);
    progress("shipcast: waiting for the worker to process every event");
    // Opened after the load, so the measured window has Shipcast alone on the file.
    let store = await openBenchStore(database.url);
    const worker = await waitForWorker(store).finally(() => store.close());
    const exit = await shipcast.stop();
    store = await openBenchStore(database.url);
    const byStatus = await eventsByStatus(store).finally(() => store.close());
    return {
      run: {
        name: "shipcast",
        description: "src/main.ts: verify, commit to SQLite, 202; worker on",
        warmup,
        measured,
      },
      perSource: {
        name: "shipcast per-source",
        description: "the same on /api/sources/<id>/webhooks, a source made through the API",
        ...perSource,
      },
      store: { worker, stored: total(byStatus), byStatus, exit },
    };
  } finally {
    await shipcast?.stop();
    scratch.removeNow();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function describeStatusCodes(result: LoadResult): string {
  const others = Object.entries(result.statusCodes).filter(([code]) => !code.startsWith("2"));
  return others.length === 0 ? "" : ` (${others.map(([c, n]) => `${c}: ${n}`).join(", ")})`;
}

function runFigures(run: ServerRun): Figure[] {
  const { measured: m, warmup: w } = run;
  const unanswered = m.unanswered + w.unanswered;
  return [
    ["requests/s (avg)", int(m.rps)],
    ["latency p50", `${ms(m.p50Ms, 2)} ms`],
    ["latency p99", `${ms(m.p99Ms, 2)} ms`],
    ["2xx", `${int(m.ok2xx)}   (warm-up: ${int(w.ok2xx)} more)`],
    ["non-2xx", `${int(m.non2xx)}${describeStatusCodes(m)}   (warm-up: ${int(w.non2xx)})`],
    [
      "errors / timeouts",
      `${int(m.errors)} / ${int(m.timeouts)}   (warm-up: ${int(w.errors)} / ${int(w.timeouts)})`,
    ],
    ["unanswered", unanswered > 0 ? `${int(unanswered)} requests never got an answer` : ""],
  ];
}

function table(runs: ServerRun[]): string[] {
  const header = ["server", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx+errors"];
  const rows = runs.map((run) => [
    `${run.name} (${run.description})`,
    int(run.measured.rps),
    ms(run.measured.p50Ms, 2),
    ms(run.measured.p99Ms, 2),
    int(run.measured.ok2xx),
    int(run.measured.non2xx + run.measured.errors),
  ]);
  return markdownTable(header, rows, [false, true, true, true, true, true]);
}

async function main(): Promise<number> {
  await printPreamble("Shipcast ingest benchmark", [
    `${CONNECTIONS} connections; per server: ${WARMUP_SEC} s warm-up (not counted) + ${DURATION_SEC} s measured, one server at a time`,
  ]);
  console.log(
    `  body: @octokit/webhooks-examples ${EVENT_NAME} (${int(BODY.length)} bytes), signed once; a new X-GitHub-Delivery per request`,
  );
  console.log("");

  const bare = await benchBare();
  const probot = await benchProbot();
  const shipcast = await benchShipcast();
  const runs = [bare.run, probot, shipcast.run, shipcast.perSource];

  console.log("\nResults (measured window; latencies over every answered request)");
  for (const run of runs) printFigures(`\n${run.name} — ${run.description}`, runFigures(run));

  const bareReceived = bare.stats.received;
  const distinctOk = bare.stats.distinctDeliveries === bareReceived;
  console.log(
    `\n  bare server saw ${int(bare.stats.distinctDeliveries)} distinct X-GitHub-Delivery ids in ${int(bareReceived)} webhooks: ${distinctOk ? "each request had its own" : "IDS REPEATED"}`,
  );

  const s = shipcast.run.measured;
  const vsBare = s.rps / bare.run.measured.rps;
  const vsProbot = s.rps / probot.measured.rps;
  printFigures("\nShipcast against the aims (information only)", [
    ["rps vs bare", againstAim(vsBare, AIM_VS_BARE)],
    ["rps vs probot-noop", againstAim(vsProbot, AIM_VS_PROBOT)],
    [`p99 < ${AIM_P99_MS} ms`, `${s.p99Ms < AIM_P99_MS ? "yes" : "no"} (${ms(s.p99Ms, 2)} ms)`],
    [
      "per-source route vs environment route",
      `${ratio(shipcast.perSource.measured.rps / s.rps)} (p99 ${ms(shipcast.perSource.measured.p99Ms, 2)} ms)`,
    ],
  ]);

  const st = shipcast.store;
  const { worker } = st;
  const ps = shipcast.perSource;
  const answered2xx = shipcast.run.warmup.ok2xx + s.ok2xx + ps.warmup.ok2xx + ps.measured.ok2xx;
  const unanswered =
    shipcast.run.warmup.unanswered + s.unanswered + ps.warmup.unanswered + ps.measured.unanswered;
  const allStored = st.stored === answered2xx;
  printFigures("\nShipcast's store", [
    [
      "worker",
      worker.pendingLeft === 0
        ? `no event pending ${(worker.settleMs / 1000).toFixed(1)} s after the load`
        : `${int(worker.pendingLeft)} events still pending after ${(worker.settleMs / 1000).toFixed(0)} s`,
    ],
    [
      "events stored",
      `${int(st.stored)}   (count after stop; before stop: ${int(worker.storedBeforeStop)}; ${counts(st.byStatus)})`,
    ],
    [
      "2xx answered",
      `${int(answered2xx)}   (environment route: warm-up ${int(shipcast.run.warmup.ok2xx)} + measured ${int(s.ok2xx)}; per-source route: warm-up ${int(ps.warmup.ok2xx)} + measured ${int(ps.measured.ok2xx)})`,
    ],
    [
      "unanswered requests",
      unanswered > 0 ? `${int(unanswered)} (may be stored without a 2xx having been read)` : "",
    ],
    ["shipcast exit", String(st.exit)],
  ]);
  console.log(`  every acknowledged event stored: ${allStored ? "yes" : "no"}`);

  console.log("\nTable (for the README)\n");
  console.log(
    `${CONNECTIONS} connections, ${DURATION_SEC} s per server after a ${WARMUP_SEC} s warm-up, ${int(BODY.length)}-byte signed \`${EVENT_NAME}\`, ${briefMachine()}, load generator on the same machine.\n`,
  );
  for (const line of table(runs)) console.log(line);
  console.log(
    `\nShipcast: ${ratio(vsBare)} bare (aim ≥ ${AIM_VS_BARE}×), ${ratio(vsProbot)} Probot no-op (aim ≥ ${AIM_VS_PROBOT}×), p99 ${ms(s.p99Ms, 2)} ms (aim < ${AIM_P99_MS} ms); ${int(answered2xx)} acknowledged, ${int(st.stored)} stored.`,
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

await runEntry("bench", main);
