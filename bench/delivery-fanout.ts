/**
 * The fan-out and one-subject parts of the delivery benchmark.
 *
 *   fanout   N events × M signed webhook targets on SQLite, twice to the same process: once just
 *            after it started (cold: V8 has not yet optimized its hot code) and once more with
 *            new events (warm, as a server that has been up a while). Then bare undici loops,
 *            warmed up the same way, post the very bodies Shipcast delivered (kept by the
 *            receiver) to the same paths, as many in flight as DELIVERY_CONCURRENCY: Shipcast's
 *            deliveries/s as a share of the loops', warm against warm.
 *   subject  N events of one subject (one repository, environment and PR) to one webhook target:
 *            one process on SQLite, and two sharing PostgreSQL when it is configured. Ordering
 *            per subject allows one delivery at a time, so this is the per-subject rate.
 */
import { type BareJob, bareFigures, runBare } from "./bare-loop.js";
import {
  type DeliveryRunOptions,
  missing,
  runDeliveries,
  runDeliveryBatches,
  runFigures,
} from "./delivery-run.js";
import { buildEvents, FIXTURE, hookPath } from "./events.js";
import {
  againstAim,
  briefMachine,
  int,
  markdownTable,
  ms,
  printFigures,
  progress,
} from "./print.js";
import { startReceiver } from "./receiver.js";
import type { Engine } from "./store.js";

const AIM_VS_BARE = 0.5;

/** What every delivery run of these parts shares. */
export type CommonSettings = Pick<
  DeliveryRunOptions,
  "sourceSecret" | "targetSecret" | "concurrency" | "senders" | "timeoutMs" | "cpuProfDir"
>;

export interface FanoutSettings extends CommonSettings {
  events: number;
  targets: number;
  subjects: number;
}

/** The fan-out part; returns what went missing. */
export async function fanoutPart(settings: FanoutSettings): Promise<string[]> {
  const expected = settings.events * settings.targets;
  progress(`fanout: building and signing 2 × ${int(settings.events)} events from ${FIXTURE}`);
  const events = await buildEvents(settings.sourceSecret, settings.events, settings.subjects);
  // The second batch: the same subjects, deploy ids of their own (ingest dedupes on them).
  const warmEvents = await buildEvents(
    settings.sourceSecret,
    settings.events,
    settings.subjects,
    1,
  );
  progress("fanout: receiver starting (own process, keeps the bodies)");
  const receiver = await startReceiver({ keepBodies: true });
  try {
    const warmup: BareJob[] = events
      .slice(0, Math.ceil(Math.min(expected, 1000) / settings.targets))
      .flatMap((event) =>
        Array.from({ length: settings.targets }, (_, i) => ({
          path: hookPath(i),
          body: event.body.toString("utf8"),
        })),
      );
    progress(`fanout: warm-up, ${warmup.length} bare requests (not counted)`);
    await runBare(receiver, warmup, settings.concurrency, settings.targetSecret);
    await receiver.reset();

    const [cold, shipcast] = await runDeliveryBatches(
      {
        ...settings,
        label: "shipcast",
        engine: "sqlite",
        processes: 1,
        receiver,
        events,
        targets: settings.targets,
      },
      [events, warmEvents],
    );
    if (cold === undefined || shipcast === undefined) throw new Error("fanout: a batch is missing");
    // The same bodies to the same paths; cycled if some never arrived (reported below).
    const kept = await receiver.bodies();
    await receiver.reset();
    const jobs: BareJob[] = Array.from({ length: expected }, (_, i) => {
      const [path, body] = kept[i % Math.max(1, kept.length)] ?? [hookPath(0), "{}"];
      return { path, body };
    });
    progress(`bare fetch: ${int(expected)} requests, ${settings.concurrency} in flight`);
    const bare = await runBare(receiver, jobs, settings.concurrency, settings.targetSecret);
    await receiver.reset();
    progress(`bare send: ${int(expected)} requests, ${settings.concurrency} in flight`);
    const bareSend = await runBare(
      receiver,
      jobs,
      settings.concurrency,
      settings.targetSecret,
      "send",
    );

    console.log("\nfanout results");
    printFigures(
      "\nshipcast, cold — src/main.ts on SQLite, the first events after it started",
      runFigures(cold),
    );
    printFigures(
      "\nshipcast, warm — the same process, the next events (ingest, event worker, delivery workers)",
      runFigures(shipcast),
    );
    printFigures(
      `\nbare fetch — createOutboundHttp().fetch in a loop, ${settings.concurrency} in flight, the bodies Shipcast delivered, to the same paths`,
      bareFigures(bare),
    );
    printFigures(
      `\nbare send — createOutboundHttp().send (undici's dispatcher API, what Shipcast's webhooks use), the same requests`,
      bareFigures(bareSend),
    );
    const vsBare = shipcast.rate / bare.rate;
    const vsSend = shipcast.rate / bareSend.rate;
    printFigures("\nShipcast (warm) against the aim (information only)", [
      ["deliveries/s vs bare fetch", againstAim(vsBare, AIM_VS_BARE, "the bare fetch loop")],
      [
        "cold vs bare fetch",
        `${(cold.rate / bare.rate).toFixed(2)}× (the first events after start), ${(cold.rate / bareSend.rate).toFixed(2)}× the bare send loop`,
      ],
      [
        "delivering only vs bare fetch",
        `${(shipcast.drainRate / bare.rate).toFixed(2)}× (after the last acknowledgement)`,
      ],
      [
        "deliveries/s vs bare send",
        againstAim(vsSend, AIM_VS_BARE, "the bare send (dispatcher) loop"),
      ],
    ]);

    const lost = missing(cold) + missing(shipcast);
    const bareMissing = expected - bare.received + (expected - bareSend.received);
    console.log("\nTable (for the README)\n");
    console.log(
      `${int(settings.events)} Netlify \`deploy_created\` events × ${settings.targets} signed \`webhook\` targets = ${int(expected)} deliveries to a local \`200 ok\` receiver (own process), DELIVERY_CONCURRENCY ${settings.concurrency}, ${shipcast.subjects} subjects, SQLite, ${briefMachine()}.\n`,
    );
    const rows = [
      ...(
        [
          ["shipcast, cold (first events after start)", cold],
          ["shipcast, warm (the next events)", shipcast],
        ] as const
      ).map(([name, run]) => [
        name,
        `${int(run.received)}/${int(expected)}`,
        int(run.rate),
        ms(run.latency.p50),
        ms(run.latency.p99),
        "event 202 → request at receiver",
      ]),
      ...[bare, bareSend].map((run) => [
        `bare ${run.client} loop (undici, ${settings.concurrency} in flight)`,
        `${int(run.received)}/${int(expected)}`,
        int(run.rate),
        ms(run.latency.p50),
        ms(run.latency.p99),
        "request → answer",
      ]),
    ];
    const header = ["run", "deliveries", "deliveries/s", "p50 ms", "p99 ms", "latency is"];
    for (const line of markdownTable(header, rows, [false, true, true, true, true, false])) {
      console.log(line);
    }
    console.log(
      `\nShipcast warm: ${againstAim(vsBare, AIM_VS_BARE, "the bare fetch loop's deliveries/s")}; ${againstAim(vsSend, AIM_VS_BARE, "the bare send loop's deliveries/s")}; cold: ${(cold.rate / bare.rate).toFixed(2)}× and ${(cold.rate / bareSend.rate).toFixed(2)}×; every success logged: ${cold.store.succeededWithoutAttempt + shipcast.store.succeededWithoutAttempt === 0 ? "yes" : "no"}; ${int(lost)} missing.`,
    );
    const problems: string[] = [];
    if (lost > 0) {
      problems.push(
        `fanout: ${int(lost)} Shipcast deliveries never reached the receiver (${cold.wait.how}, ${shipcast.wait.how})`,
      );
    }
    if (bareMissing > 0) problems.push(`fanout: ${int(bareMissing)} bare requests never arrived`);
    return problems;
  } finally {
    await receiver.stop();
  }
}

export interface SubjectSettings extends CommonSettings {
  events: number;
  engines: Engine[];
}

/** The one-subject part; returns what went missing. */
export async function subjectPart(settings: SubjectSettings): Promise<string[]> {
  const events = await buildEvents(settings.sourceSecret, settings.events, 1);
  const receiver = await startReceiver();
  const problems: string[] = [];
  const rows: string[][] = [];
  try {
    for (const engine of settings.engines) {
      const processes = engine === "postgres" ? 2 : 1;
      await receiver.reset();
      const run = await runDeliveries({
        ...settings,
        label: `subject-${engine}`,
        engine,
        processes,
        receiver,
        events,
        targets: 1,
      });
      printFigures(
        `\nsubject — ${int(settings.events)} events of one subject to one webhook target, ${processes} process(es) on ${engine}`,
        runFigures(run),
      );
      rows.push([
        `${engine}, ${processes} process(es)`,
        `${int(run.received)}/${int(run.expected)}`,
        int(run.rate),
        int(run.drainRate),
        ms(run.latency.p50),
      ]);
      const lost = missing(run);
      if (lost > 0) problems.push(`subject ${engine}: ${int(lost)} deliveries never arrived`);
    }
  } finally {
    await receiver.stop();
  }
  console.log(
    `\nOne subject (table for the README): ${int(settings.events)} Netlify events of one repository, environment and PR → one webhook target, DELIVERY_CONCURRENCY ${settings.concurrency}, ${briefMachine()}.\n`,
  );
  const header = [
    "engine",
    "delivered",
    "deliveries/s",
    "after last ack/s",
    "p50 ack → arrival ms",
  ];
  for (const line of markdownTable(header, rows, [false, true, true, true, true]))
    console.log(line);
  return problems;
}
