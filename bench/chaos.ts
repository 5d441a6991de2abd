/**
 * `npm run chaos`: a repeatable proof of Shipcast's promises under crashes. Not part of
 * `npm test`; everything on loopback, bounded in count and time.
 *
 * For each engine (SQLite with one process; PostgreSQL with two processes sharing it, when
 * SHIPCAST_TEST_POSTGRES_URL is set), on a fresh store:
 *   - a receiver (bench/servers/receiver.ts, its own process) verifies each request's
 *     `X-Hub-Signature-256` and records its `X-Shipcast-Delivery`;
 *   - Shipcast routes every event to a signed webhook target on it (`shipcast.yml`,
 *     ALLOW_LOCAL_NETWORK=true);
 *   - a sender posts N signed Netlify events and counts one as acknowledged only on a 202; it
 *     retries anything else (status, reset, refused connection) with a short backoff, on the
 *     other process when there are two, a bounded number of times;
 *   - meanwhile a Shipcast process is killed with SIGKILL every few seconds (in turn) and
 *     started again on the same port;
 *   - once every event is sent, the killing stops and the run waits (bounded) for the backlog
 *     to drain; then the processes stop and the store and the receiver are compared.
 *
 * Reported: acknowledged, stored, processed, delivered to the receiver, duplicates at the
 * receiver (requests with an `X-Shipcast-Delivery` seen before), lost. Lost is an acknowledged
 * event missing from the store, or a stored event not processed or one of its deliveries never
 * received when the drain timeout ends. Exits non-zero on any loss or bad signature.
 *
 * Settings (flag or environment; defaults in brackets):
 *   --events         CHAOS_EVENTS          events sent per engine [20000]
 *   --kill-interval  CHAOS_KILL_INTERVAL   seconds a process runs between kills [2]
 *   --engines        CHAOS_ENGINES         sqlite,postgres [sqlite, and postgres when set]
 *   --senders        CHAOS_SENDERS         events in flight [16]
 *   --attempts       CHAOS_ATTEMPTS        tries per event before the sender gives up [60]
 *   --subjects       CHAOS_SUBJECTS        PRs the events cycle through [100]
 *   --concurrency    CHAOS_CONCURRENCY     DELIVERY_CONCURRENCY [8]
 *   --send-limit     CHAOS_SEND_LIMIT      seconds after which no new event is sent [900]
 *   --drain-timeout  CHAOS_DRAIN_TIMEOUT   seconds to wait for the backlog after sending [180]
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildEvents, FIXTURE, routingFile, targetNames } from "./events.js";
import {
  counts,
  type Figure,
  int,
  markdownTable,
  printFigures,
  printPreamble,
  progress,
  sec,
} from "./print.js";
import { runEntry, scratchDir } from "./processes.js";
import { type Receiver, startReceiver } from "./receiver.js";
import { type Ingest, sendEvents, sleep } from "./sender.js";
import { listSetting, numberSetting } from "./settings.js";
import { ShipcastProcess } from "./shipcast-process.js";
import {
  deliveriesByStatus,
  type Engine,
  eventsByStatus,
  freshDatabase,
  openBenchStore,
  POSTGRES_URL,
  type Store,
  total,
} from "./store.js";

const ENGINES: readonly Engine[] = ["sqlite", "postgres"];
const EVENTS = numberSetting("CHAOS_EVENTS", 20_000, { flag: "events" });
const KILL_INTERVAL_MS =
  numberSetting("CHAOS_KILL_INTERVAL", 2, { flag: "kill-interval", fraction: true }) * 1000;
const engines = listSetting("CHAOS_ENGINES", ENGINES, POSTGRES_URL ? ENGINES : ["sqlite"], {
  flag: "engines",
});
const SENDERS = numberSetting("CHAOS_SENDERS", 16, { flag: "senders" });
const ATTEMPTS = numberSetting("CHAOS_ATTEMPTS", 60, { flag: "attempts" });
const SUBJECTS = numberSetting("CHAOS_SUBJECTS", 100, { flag: "subjects" });
const CONCURRENCY = numberSetting("CHAOS_CONCURRENCY", 8, { flag: "concurrency" });
const SEND_LIMIT_MS = numberSetting("CHAOS_SEND_LIMIT", 900, { flag: "send-limit" }) * 1000;
const DRAIN_TIMEOUT_MS =
  numberSetting("CHAOS_DRAIN_TIMEOUT", 180, { flag: "drain-timeout" }) * 1000;
/** One target: every event is one delivery, and every delivery must arrive. */
const TARGET = targetNames(1)[0] ?? "bench-0";

const SOURCE_SECRET = randomBytes(32).toString("hex");
const TARGET_SECRET = randomBytes(32).toString("hex");

/** Kills a process every interval, in turn, and starts it again, until `stop` is called. */
function startKilling(shipcasts: ShipcastProcess[]) {
  let stopping = false;
  let kills = 0;
  let wake: () => void = () => {};
  const done = (async () => {
    for (let turn = 0; ; turn++) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, KILL_INTERVAL_MS);
      });
      if (stopping) return;
      const victim = shipcasts[turn % shipcasts.length];
      if (victim === undefined) return;
      await victim.kill();
      kills++;
      // Started again at once: the sender's retries meet a refused port meanwhile.
      await victim.restart();
    }
  })();
  return {
    kills: () => kills,
    async stop() {
      stopping = true;
      wake();
      await done;
    },
  };
}

/** What the drain ended with. */
interface Drain {
  how: "settled" | "timed out";
  waitedMs: number;
}

/**
 * Waits until no event or delivery is pending: then nothing more will arrive (a delivery that
 * failed for good never will), so what has not arrived by then is lost.
 */
async function waitForDrain(store: Store): Promise<Drain> {
  const started = performance.now();
  for (;;) {
    const events = await eventsByStatus(store);
    const deliveries = await deliveriesByStatus(store);
    const waitedMs = performance.now() - started;
    if (!events.pending && !deliveries.pending) return { how: "settled", waitedMs };
    if (waitedMs > DRAIN_TIMEOUT_MS) return { how: "timed out", waitedMs };
    await sleep(500);
  }
}

/** The outcome of one engine's run. */
interface ChaosResult {
  engine: Engine;
  processes: number;
  where: string;
  ingest: Ingest;
  sendMs: number;
  kills: number;
  drain: Drain;
  acknowledged: number;
  /** Acknowledged and in the store. */
  stored: number;
  /** Every event in the store (some may have been stored without a 202 the sender read). */
  storedAll: number;
  eventsByStatus: Record<string, number>;
  /** Acknowledged events processed. */
  processed: number;
  deliveries: number;
  deliveriesByStatus: Record<string, number>;
  /** Distinct deliveries of the store received. */
  delivered: number;
  requests: number;
  /** Requests whose X-Shipcast-Delivery had been received before. */
  duplicates: number;
  badSignatures: number;
  /** Why each lost event is lost. */
  lost: Record<string, number>;
  lostTotal: number;
  exits: Array<number | string>;
}

/** Compares what was acknowledged, stored and received. */
async function account(
  store: Store,
  receiver: Receiver,
  ingest: Ingest,
): Promise<
  Omit<ChaosResult, "engine" | "processes" | "where" | "sendMs" | "kills" | "drain" | "exits">
> {
  const events = await store.db.selectFrom("events").select(["id", "status"]).execute();
  const deliveries = await store.db
    .selectFrom("deliveries")
    .select(["id", "event_id", "target", "status"])
    .execute();
  const arrivals = await receiver.arrivals();
  const { badSignatures } = await receiver.count();

  const received = new Set<string>();
  let duplicates = 0;
  for (const [, , id] of arrivals) {
    if (id === null) continue;
    if (received.has(id)) duplicates++;
    else received.add(id);
  }
  const statusOf = new Map(events.map((row) => [row.id, row.status]));
  const deliveryOf = new Map<string, string>();
  for (const row of deliveries) {
    if (row.target === TARGET) deliveryOf.set(row.event_id, row.id);
  }

  const lost: Record<string, number> = {};
  const lose = (why: string) => {
    lost[why] = (lost[why] ?? 0) + 1;
  };
  let stored = 0;
  let processed = 0;
  // Every stored event must be delivered, acknowledged or not (a 202 can be lost in a crash).
  const mustArrive = new Set([...ingest.acks.keys(), ...statusOf.keys()]);
  for (const eventId of mustArrive) {
    const acknowledged = ingest.acks.has(eventId);
    const status = statusOf.get(eventId);
    if (acknowledged && status !== undefined) stored++;
    if (acknowledged && status === "processed") processed++;
    if (status === undefined) {
      lose("acknowledged, not stored");
      continue;
    }
    if (status !== "processed") {
      lose(`stored, ${status} after the drain`);
      continue;
    }
    const delivery = deliveryOf.get(eventId);
    if (delivery === undefined) lose("processed, no delivery row");
    else if (!received.has(delivery)) lose("routed, never received");
  }
  const eventsTally: Record<string, number> = {};
  for (const row of events) eventsTally[row.status] = (eventsTally[row.status] ?? 0) + 1;
  const deliveriesTally: Record<string, number> = {};
  for (const row of deliveries)
    deliveriesTally[row.status] = (deliveriesTally[row.status] ?? 0) + 1;
  return {
    ingest,
    acknowledged: ingest.acks.size,
    stored,
    storedAll: events.length,
    eventsByStatus: eventsTally,
    processed,
    deliveries: deliveries.length,
    deliveriesByStatus: deliveriesTally,
    delivered: deliveries.filter((row) => received.has(row.id)).length,
    requests: arrivals.length,
    duplicates,
    badSignatures,
    lost,
    lostTotal: total(lost),
  };
}

async function chaosRun(engine: Engine, receiver: Receiver): Promise<ChaosResult> {
  const processes = engine === "postgres" ? 2 : 1;
  const label = `chaos-${engine}`;
  const scratch = scratchDir(`shipcast-${label}-`);
  const database = await freshDatabase(engine, scratch.dir);
  const configFile = join(scratch.dir, "shipcast.yml");
  writeFileSync(configFile, routingFile(receiver.port, 1, TARGET_SECRET));
  const store = await openBenchStore(database.url);
  const shipcasts: ShipcastProcess[] = [];
  try {
    await receiver.reset();
    progress(`${label}: building and signing ${int(EVENTS)} events from ${FIXTURE}`);
    const events = await buildEvents(SOURCE_SECRET, EVENTS, SUBJECTS);
    progress(`${label}: starting ${processes} Shipcast process(es) on ${database.where}`);
    for (let i = 0; i < processes; i++) {
      shipcasts.push(
        await ShipcastProcess.start({
          label: processes > 1 ? `${label}-${i + 1}` : label,
          cwd: scratch.dir,
          databaseUrl: database.url,
          settings: {
            NETLIFY_JWS_SECRET: SOURCE_SECRET,
            SHIPCAST_CONFIG: configFile,
            DELIVERY_CONCURRENCY: String(CONCURRENCY),
            ALLOW_LOCAL_NETWORK: "true",
          },
        }),
      );
    }
    progress(
      `${label}: sending, ${SENDERS} at a time; a SIGKILL every ${sec(KILL_INTERVAL_MS)} s of uptime`,
    );
    const killer = startKilling(shipcasts);
    const started = performance.now();
    let reported = 0;
    const ingest = await sendEvents(events, {
      bases: shipcasts.map((s) => s.base),
      senders: SENDERS,
      attempts: ATTEMPTS,
      timeoutMs: 15_000,
      deadline: started + SEND_LIMIT_MS,
      onAck: (acknowledged) => {
        if (acknowledged - reported >= Math.max(1, Math.round(EVENTS / 10))) {
          reported = acknowledged;
          progress(`${label}: ${int(acknowledged)} acknowledged, ${killer.kills()} kills`);
        }
      },
    }).finally(() => killer.stop());
    const sendMs = performance.now() - started;
    progress(
      `${label}: ${int(ingest.acks.size)} acknowledged in ${sec(sendMs)} s through ${killer.kills()} kills; draining (at most ${sec(DRAIN_TIMEOUT_MS, 0)} s)`,
    );
    const drain = await waitForDrain(store);
    progress(`${label}: ${drain.how} after ${sec(drain.waitedMs)} s; stopping`);
    const exits: Array<number | string> = [];
    for (const shipcast of shipcasts) exits.push(await shipcast.stop());
    const accounted = await account(store, receiver, ingest);
    return {
      engine,
      processes,
      where: database.where,
      sendMs,
      kills: killer.kills(),
      drain,
      exits,
      ...accounted,
    };
  } finally {
    for (const shipcast of shipcasts) await shipcast.stop();
    await store.close();
    await database.drop();
    scratch.removeNow();
  }
}

function resultFigures(r: ChaosResult): Figure[] {
  const { ingest } = r;
  const problems = Object.keys(ingest.problems).length > 0 ? ` (${counts(ingest.problems)})` : "";
  return [
    ["store", r.where],
    [
      "sent",
      `${int(EVENTS - ingest.unsent)} of ${int(EVENTS)} in ${sec(r.sendMs)} s; ${int(ingest.retries)} retries${problems}`,
    ],
    ["kills (SIGKILL)", `${int(r.kills)}, each followed by a restart on the same port`],
    [
      "acknowledged",
      `${int(r.acknowledged)}${ingest.duplicates > 0 ? ` (${int(ingest.duplicates)} on a retry answered "duplicate": stored before the crash, unanswered)` : ""}`,
    ],
    [
      "never acknowledged",
      ingest.gaveUp > 0 ? `${int(ingest.gaveUp)} (the sender gave up after ${ATTEMPTS} tries)` : "",
    ],
    [
      "stored",
      `${int(r.stored)} of the acknowledged; ${int(r.storedAll)} events in all (${counts(r.eventsByStatus)})`,
    ],
    ["processed", `${int(r.processed)} of the acknowledged`],
    ["deliveries", `${int(r.deliveries)} (${counts(r.deliveriesByStatus)})`],
    ["delivered", `${int(r.delivered)} distinct, in ${int(r.requests)} requests to the receiver`],
    ["duplicates", `${int(r.duplicates)} requests repeated an X-Shipcast-Delivery (at-least-once)`],
    ["bad signatures", int(r.badSignatures)],
    [
      "drain",
      `${r.drain.how === "settled" ? "nothing pending" : "TIMED OUT"} ${sec(r.drain.waitedMs)} s after the last event was sent`,
    ],
    ["lost", r.lostTotal === 0 ? "0" : `${int(r.lostTotal)} (${counts(r.lost)})`],
    ["shipcast exit", r.exits.join(", ")],
  ];
}

async function main(): Promise<number> {
  await printPreamble("Shipcast chaos run", [
    `${int(EVENTS)} signed Netlify events per engine, ${SENDERS} in flight, ${ATTEMPTS} tries each (only a 202 counts); ${SUBJECTS} PRs`,
    `a SIGKILL every ${sec(KILL_INTERVAL_MS)} s of uptime, in turn, then a restart; drain timeout ${sec(DRAIN_TIMEOUT_MS, 0)} s`,
    `engines: ${engines.map((e) => (e === "postgres" ? "postgres (2 processes)" : "sqlite (1 process)")).join(", ")}; one signed webhook target, DELIVERY_CONCURRENCY ${CONCURRENCY}`,
  ]);
  console.log("");
  const receiver = await startReceiver({ secret: TARGET_SECRET });
  const results: ChaosResult[] = [];
  try {
    for (const engine of engines) {
      const result = await chaosRun(engine, receiver);
      printFigures(`\nchaos — ${engine}, ${result.processes} process(es)`, resultFigures(result));
      results.push(result);
    }
  } finally {
    await receiver.stop();
  }

  console.log("\nTable (for the README)\n");
  const header = [
    "engine",
    "kills",
    "acknowledged",
    "stored",
    "processed",
    "delivered",
    "duplicates",
    "lost",
  ];
  const rows = results.map((r) => [
    `${r.engine}, ${r.processes} process(es)`,
    int(r.kills),
    int(r.acknowledged),
    int(r.stored),
    int(r.processed),
    int(r.delivered),
    int(r.duplicates),
    int(r.lostTotal),
  ]);
  for (const line of markdownTable(header, rows, [false, ...Array(7).fill(true)]))
    console.log(line);

  const failed = results.filter((r) => r.lostTotal > 0 || r.badSignatures > 0);
  for (const r of failed) {
    console.error(
      `\nchaos: ${r.engine}: ${int(r.lostTotal)} lost (${counts(r.lost)}), ${int(r.badSignatures)} bad signatures`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}

await runEntry("chaos", main);
