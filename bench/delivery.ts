/**
 * `npm run bench:delivery`: measures Shipcast's delivery path (acknowledged event → signed webhook
 * request at a receiver) from outside, in four parts that can run alone:
 *
 *   fanout   N events × M signed webhook targets on SQLite vs a bare undici loop posting the same
 *            bodies (ratio; aim ≥ 0.5× with DELIVERY_CONCURRENCY 8)     (delivery-fanout.ts)
 *   subject  the per-subject rate: one subject, one target; one process on SQLite, two on
 *            PostgreSQL when SHIPCAST_TEST_POSTGRES_URL is set             (delivery-fanout.ts)
 *   claim    D deliveries become due with 1,000 vs 100,000 (or 1,000,000) queued and not due:
 *            how long until they arrive                                   (delivery-backlog.ts)
 *   drain    Shipcast's RSS while a 100,000-delivery backlog drains       (delivery-backlog.ts)
 *
 * Backlogs are seeded straight into a fresh store's tables, not through HTTP. The receiver
 * (bench/servers/receiver.ts) runs in its own process and answers `200 ok`. Exits non-zero only
 * when deliveries went missing.
 *
 * Settings (flag or environment; defaults in brackets):
 *   --parts          BENCH_PARTS                 fanout,subject,claim,drain [all four]
 *   --engines        BENCH_ENGINES               sqlite,postgres for subject, claim and drain
 *                                               [sqlite, and postgres when its URL is set]
 *   --concurrency    BENCH_DELIVERY_CONCURRENCY  DELIVERY_CONCURRENCY, Shipcast and bare [8]
 *   --events         BENCH_EVENTS                fanout: events sent [1500]
 *   --targets        BENCH_TARGETS               fanout: webhook targets, each gets every event [4]
 *   --subjects       BENCH_SUBJECTS              fanout: distinct PRs the events cycle through [50]
 *   --subject-events BENCH_SUBJECT_EVENTS        subject: events of the one subject [1000]
 *   --claim-due      BENCH_CLAIM_DUE             claim: deliveries that become due [500]
 *   --claim-small    BENCH_CLAIM_SMALL           claim: the small backlog [1000]
 *   --claim-large    BENCH_CLAIM_LARGE           claim: the large backlog [100000]
 *   --million        BENCH_CLAIM_MILLION         claim: true makes the large backlog 1,000,000
 *   --drain          BENCH_DRAIN_DELIVERIES      drain: the backlog [100000]
 *   --senders        BENCH_SENDERS               concurrent event senders [20]
 *   --timeout        BENCH_TIMEOUT               seconds to wait for deliveries, per run [120]
 *   --cpu-prof       BENCH_CPU_PROF              a folder: fanout's Shipcast runs with --cpu-prof
 */
import { randomBytes } from "node:crypto";
import { type BacklogSettings, claimPart, drainPart } from "./delivery-backlog.js";
import { fanoutPart, subjectPart } from "./delivery-fanout.js";
import { int, printPreamble } from "./print.js";
import { runEntry } from "./processes.js";
import { startReceiver } from "./receiver.js";
import { booleanSetting, listSetting, numberSetting, textSetting } from "./settings.js";
import { type Engine, POSTGRES_URL } from "./store.js";

const PARTS = ["fanout", "subject", "claim", "drain"] as const;
type Part = (typeof PARTS)[number];
const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

const parts = listSetting("BENCH_PARTS", PARTS, PARTS, { flag: "parts" });
const engines = listSetting("BENCH_ENGINES", ENGINES, POSTGRES_URL ? ENGINES : ["sqlite"], {
  flag: "engines",
});
const common = {
  sourceSecret: randomBytes(32).toString("hex"),
  targetSecret: randomBytes(32).toString("hex"),
  concurrency: numberSetting("BENCH_DELIVERY_CONCURRENCY", 8, { flag: "concurrency" }),
  senders: numberSetting("BENCH_SENDERS", 20, { flag: "senders" }),
  timeoutMs: numberSetting("BENCH_TIMEOUT", 120, { flag: "timeout" }) * 1000,
  cpuProfDir: textSetting("BENCH_CPU_PROF", { flag: "cpu-prof" }),
};
const fanout = {
  ...common,
  events: numberSetting("BENCH_EVENTS", 1500, { flag: "events" }),
  targets: numberSetting("BENCH_TARGETS", 4, { flag: "targets" }),
  subjects: numberSetting("BENCH_SUBJECTS", 50, { flag: "subjects" }),
};
const subject = {
  ...common,
  cpuProfDir: undefined,
  engines,
  events: numberSetting("BENCH_SUBJECT_EVENTS", 1000, { flag: "subject-events" }),
};
const million = booleanSetting("BENCH_CLAIM_MILLION", false, { flag: "million" });
const claim = {
  engines,
  sizes: [
    numberSetting("BENCH_CLAIM_SMALL", 1000, { flag: "claim-small" }),
    million ? 1_000_000 : numberSetting("BENCH_CLAIM_LARGE", 100_000, { flag: "claim-large" }),
  ],
  due: numberSetting("BENCH_CLAIM_DUE", 500, { flag: "claim-due" }),
  timeoutMs: common.timeoutMs,
};
const drainDeliveries = numberSetting("BENCH_DRAIN_DELIVERIES", 100_000, { flag: "drain" });
const drain = {
  engines,
  deliveries: drainDeliveries,
  // A large backlog takes a while at a few hundred per second.
  timeoutMs: Math.max(common.timeoutMs, drainDeliveries * 10),
};

/** A backlog part with its own receiver, stopped however the part ends. */
async function withReceiver(part: (settings: BacklogSettings) => Promise<string[]>) {
  const receiver = await startReceiver();
  try {
    return await part({
      receiver,
      targetSecret: common.targetSecret,
      concurrency: common.concurrency,
    });
  } finally {
    await receiver.stop();
  }
}

/** Each part: what the preamble says of it, and how it runs (resolving with what went missing). */
const RUNS: Record<Part, { describe: string; run: () => Promise<string[]> }> = {
  fanout: {
    describe: `fanout: ${int(fanout.events)} events × ${fanout.targets} webhook targets = ${int(fanout.events * fanout.targets)} deliveries, ${fanout.subjects} PRs, SQLite; ${common.senders} event senders`,
    run: () => fanoutPart(fanout),
  },
  subject: {
    describe: `subject: ${int(subject.events)} events of one subject on ${engines.join(", ")}`,
    run: () => subjectPart(subject),
  },
  claim: {
    describe: `claim: ${int(claim.due)} become due with ${claim.sizes.map(int).join(" vs ")} queued, on ${engines.join(", ")}`,
    run: () => withReceiver((backlog) => claimPart({ ...backlog, ...claim })),
  },
  drain: {
    describe: `drain: ${int(drain.deliveries)} due deliveries on ${engines.join(", ")}`,
    run: () => withReceiver((backlog) => drainPart({ ...backlog, ...drain })),
  },
};

async function main(): Promise<number> {
  await printPreamble("Shipcast delivery benchmark", [
    ...parts.map((part) => RUNS[part].describe),
    `DELIVERY_CONCURRENCY ${common.concurrency} (Shipcast and bare)`,
  ]);
  console.log("");
  const problems: string[] = [];
  for (const part of parts) problems.push(...(await RUNS[part].run()));
  for (const problem of problems) console.error(`\nbench: ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

await runEntry("bench", main);
