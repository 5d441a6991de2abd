/**
 * The backlog parts of the delivery benchmark, each on a store seeded by direct inserts
 * (backlog-seed.ts) and one Shipcast process:
 *
 *   claim  with B deliveries queued and not due (a retry backlog of older events, B small and
 *          large), D deliveries become due at once: how long until each reaches the receiver.
 *          A claim that walks the whole backlog shows here as a slower large run.
 *   drain  a backlog of N deliveries, all due, drained: its rate, and Shipcast's RSS sampled
 *          every 200 ms from start to the last delivery.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedBacklog } from "./backlog-seed.js";
import { routingFile, targetNames } from "./events.js";
import { type Figure, int, markdownTable, mb, ms, printFigures, progress, sec } from "./print.js";
import { scratchDir } from "./processes.js";
import type { Receiver } from "./receiver.js";
import { now, sleep } from "./sender.js";
import { ShipcastProcess } from "./shipcast-process.js";
import { type Spread, spread } from "./stats.js";
import {
  deliveriesByStatus,
  type Engine,
  freshDatabase,
  openBenchStore,
  type Store,
} from "./store.js";

/** RSS Shipcast should stay under while a large backlog drains (issue 10). */
const AIM_RSS_BYTES = 300 * 1024 * 1024;
/** The idle (not due) backlog's targets: in the routing file, named by no route. */
const IDLE_TARGETS = ["idle-0", "idle-1", "idle-2", "idle-3"];
const DAY_MS = 24 * 60 * 60 * 1000;

export interface BacklogSettings {
  receiver: Receiver;
  /** Secret the webhook targets sign with. */
  targetSecret: string;
  concurrency: number;
}

interface SeededRun {
  store: Store;
  shipcast: ShipcastProcess;
  where: string;
}

/**
 * A fresh store on `engine`, seeded by `seed`, with one Shipcast process on it (webhook targets
 * `bench-*` and `idle-*` on the receiver); runs `body`, then stops and removes everything.
 */
async function onSeededStore<T>(
  engine: Engine,
  label: string,
  settings: BacklogSettings,
  seed: (store: Store) => Promise<void>,
  body: (run: SeededRun) => Promise<T>,
): Promise<T> {
  const scratch = scratchDir(`shipcast-${label}-`);
  const database = await freshDatabase(engine, scratch.dir);
  const store = await openBenchStore(database.url);
  let shipcast: ShipcastProcess | undefined;
  try {
    const configFile = join(scratch.dir, "shipcast.yml");
    writeFileSync(
      configFile,
      routingFile(settings.receiver.port, 4, settings.targetSecret, IDLE_TARGETS),
    );
    await seed(store);
    progress(`${label}: starting Shipcast on ${database.where}`);
    shipcast = await ShipcastProcess.start({
      label,
      cwd: scratch.dir,
      databaseUrl: database.url,
      settings: {
        SHIPCAST_CONFIG: configFile,
        DELIVERY_CONCURRENCY: String(settings.concurrency),
        ALLOW_LOCAL_NETWORK: "true",
      },
    });
    return await body({ store, shipcast, where: database.where });
  } finally {
    await shipcast?.stop();
    await store.close();
    await database.drop();
    scratch.removeNow();
  }
}

/** Waits until the receiver has `expected` distinct deliveries, or `timeoutMs` passed. */
async function waitForArrivals(
  receiver: Receiver,
  expected: number,
  timeoutMs: number,
  whileWaiting: () => void = () => {},
): Promise<boolean> {
  const started = performance.now();
  for (;;) {
    whileWaiting();
    if ((await receiver.count()).distinct >= expected) return true;
    if (performance.now() - started > timeoutMs) return false;
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// claim

export interface ClaimSettings extends BacklogSettings {
  engines: Engine[];
  /** Backlog sizes (not due), e.g. 1,000 and 1,000,000. */
  sizes: number[];
  /** Deliveries that become due at once. */
  due: number;
  timeoutMs: number;
}

interface ClaimRun {
  engine: Engine;
  backlog: number;
  seedMs: number;
  arrived: number;
  /** Due → arrival at the receiver, per delivery. */
  latency: Spread;
  /** Due → first arrival (includes up to one poll interval of an idle worker). */
  firstMs: number;
  /** Due → last arrival. */
  allMs: number;
}

async function claimRun(settings: ClaimSettings, engine: Engine, backlog: number) {
  const { receiver } = settings;
  const label = `claim-${engine}-${backlog}`;
  let seedMs = 0;
  return onSeededStore(
    engine,
    label,
    settings,
    async (store) => {
      progress(`${label}: seeding ${int(backlog)} deliveries due in a day`);
      const started = performance.now();
      await seedBacklog(store, {
        deliveries: backlog,
        targets: IDLE_TARGETS,
        subjects: 1000,
        subjectPrefix: "idle",
        dueAt: Date.now() + DAY_MS,
        // Older events than the due ones: a claim in event order meets the backlog first.
        occurredFrom: Date.parse("2020-01-01T00:00:00Z"),
        attempts: 1,
        run: 1,
      });
      seedMs = performance.now() - started;
    },
    async ({ store }): Promise<ClaimRun> => {
      await receiver.reset();
      // Start-up's own work (lease release, the first empty claims) is over before the clock.
      await sleep(2000);
      progress(`${label}: ${int(settings.due)} deliveries due now`);
      const dueAt = now();
      await seedBacklog(store, {
        deliveries: settings.due,
        targets: ["bench-0"],
        subjects: settings.due,
        subjectPrefix: "due",
        dueAt: Date.now(),
        occurredFrom: Date.now(),
        attempts: 0,
        run: 2,
      });
      await waitForArrivals(receiver, settings.due, settings.timeoutMs);
      const firsts = new Map<string, number>();
      for (const [at, , id] of await receiver.arrivals()) {
        if (id !== null && !firsts.has(id)) firsts.set(id, at);
      }
      const latencies = [...firsts.values()].map((at) => at - dueAt);
      return {
        engine,
        backlog,
        seedMs,
        arrived: firsts.size,
        latency: spread(latencies),
        firstMs: Math.min(...latencies),
        allMs: Math.max(...latencies),
      };
    },
  );
}

/** The claim part: each engine, each backlog size; prints its figures and table. */
export async function claimPart(settings: ClaimSettings): Promise<string[]> {
  const runs: ClaimRun[] = [];
  for (const engine of settings.engines) {
    for (const size of settings.sizes) runs.push(await claimRun(settings, engine, size));
  }
  console.log(
    `\nclaim — ${int(settings.due)} deliveries become due while B older ones wait for a retry a day away (one process, DELIVERY_CONCURRENCY ${settings.concurrency}); times from due to arrival at the receiver, the first one includes up to a poll interval of an idle worker\n`,
  );
  const rows = runs.map((run) => [
    run.engine,
    int(run.backlog),
    `${int(run.arrived)}/${int(settings.due)}`,
    ms(run.firstMs),
    ms(run.latency.p50),
    ms(run.allMs),
    // After the first arrival: claims back to back, the poll interval out of the figure.
    int((run.arrived - 1) / ((run.allMs - run.firstMs) / 1000)),
    sec(run.seedMs),
  ]);
  const header = [
    ...["engine", "queued, not due", "arrived", "first ms", "p50 ms", "all ms"],
    ...["first → last, due/s", "seed s"],
  ];
  const right = header.map((_, i) => i > 0);
  for (const line of markdownTable(header, rows, right)) console.log(line);
  const problems: string[] = [];
  for (const engine of settings.engines) {
    const ofEngine = runs.filter((run) => run.engine === engine);
    const small = ofEngine[0];
    const large = ofEngine[ofEngine.length - 1];
    if (small && large && small !== large) {
      console.log(
        `  ${engine}: all due delivered in ${ms(large.allMs, 0)} ms with ${int(large.backlog)} queued vs ${ms(small.allMs, 0)} ms with ${int(small.backlog)} (${(large.allMs / small.allMs).toFixed(2)}× the time; aim: about the same)`,
      );
    }
    for (const run of ofEngine) {
      if (run.arrived < settings.due) {
        problems.push(
          `claim ${engine} ${int(run.backlog)}: ${int(settings.due - run.arrived)} due deliveries never arrived`,
        );
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// drain

export interface DrainSettings extends BacklogSettings {
  engines: Engine[];
  deliveries: number;
  timeoutMs: number;
}

interface DrainRun {
  engine: Engine;
  where: string;
  seedMs: number;
  drained: boolean;
  arrived: number;
  drainMs: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  byStatus: Record<string, number>;
}

async function drainRun(settings: DrainSettings, engine: Engine): Promise<DrainRun> {
  const { receiver } = settings;
  const label = `drain-${engine}`;
  let seedMs = 0;
  await receiver.reset();
  return onSeededStore(
    engine,
    label,
    settings,
    async (store) => {
      progress(`${label}: seeding ${int(settings.deliveries)} due deliveries`);
      const started = performance.now();
      await seedBacklog(store, {
        deliveries: settings.deliveries,
        targets: targetNames(4),
        subjects: 1000,
        subjectPrefix: "drain",
        dueAt: Date.now(),
        occurredFrom: Date.parse("2024-01-01T00:00:00Z"),
        attempts: 0,
        run: 1,
      });
      seedMs = performance.now() - started;
    },
    async ({ store, shipcast, where }): Promise<DrainRun> => {
      progress(`${label}: draining (RSS sampled every 200 ms)`);
      const started = performance.now();
      const rssStart = shipcast.rss();
      let rssPeak = rssStart;
      const drained = await waitForArrivals(
        receiver,
        settings.deliveries,
        settings.timeoutMs,
        () => {
          const rss = shipcast.rss();
          if (rss > rssPeak) rssPeak = rss;
        },
      );
      const drainMs = performance.now() - started;
      return {
        engine,
        where,
        seedMs,
        drained,
        arrived: (await receiver.count()).distinct,
        drainMs,
        rssStart,
        rssPeak,
        rssEnd: shipcast.rss(),
        byStatus: await deliveriesByStatus(store),
      };
    },
  );
}

/** The drain part: each engine; prints its figures. */
export async function drainPart(settings: DrainSettings): Promise<string[]> {
  const problems: string[] = [];
  for (const engine of settings.engines) {
    const run = await drainRun(settings, engine);
    const figures: Figure[] = [
      ["store", `${run.where} (seeded in ${sec(run.seedMs)} s)`],
      [
        "drained",
        `${int(run.arrived)} of ${int(settings.deliveries)} in ${sec(run.drainMs)} s (${int(run.arrived / (run.drainMs / 1000))}/s)${run.drained ? "" : " — TIMED OUT"}`,
      ],
      [
        "RSS",
        `${mb(run.rssStart)} at start, ${mb(run.rssPeak)} at the peak, ${mb(run.rssEnd)} at the end`,
      ],
      [
        "RSS aim",
        `peak < ${mb(AIM_RSS_BYTES)}: ${run.rssPeak < AIM_RSS_BYTES ? "met" : "NOT met"}`,
      ],
    ];
    printFigures(
      `\ndrain — ${int(settings.deliveries)} due deliveries seeded on ${engine}, one process, DELIVERY_CONCURRENCY ${settings.concurrency}`,
      figures,
    );
    if (!run.drained) {
      problems.push(
        `drain ${engine}: ${int(settings.deliveries - run.arrived)} deliveries never arrived`,
      );
    }
  }
  return problems;
}
