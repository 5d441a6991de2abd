/**
 * The references of the fan-out benchmark: a loop posting ready-made bodies to the receiver
 * through the client Shipcast uses for user-supplied URLs (`createOutboundHttp()`, undici), a
 * fixed number of requests in flight, in one of two ways:
 *
 *   fetch  `http.fetch` (undici's WHATWG fetch, what Node's global `fetch` is): the loop a user
 *          would write, and the reference the fan-out aim was set against
 *   send   `http.send` (undici's dispatcher API): what Shipcast's webhook deliveries go through,
 *          the cheapest request undici makes
 *
 * Bodies and signatures are made beforehand: this is the transport alone, what Shipcast's
 * delivery path is compared with.
 */
import { createHmac } from "node:crypto";
import { createOutboundHttp } from "../src/outbound/http-client.js";
import type { Figure } from "./print.js";
import { int, ms, sec } from "./print.js";
import type { Receiver } from "./receiver.js";
import { now } from "./sender.js";
import { type Spread, spread } from "./stats.js";

/** One request of the loop. */
export interface BareJob {
  /** Path on the receiver. */
  path: string;
  body: string;
}

/** Which of the client's calls the loop makes. */
export type BareClient = "fetch" | "send";

export interface BareRun {
  client: BareClient;
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
  concurrency: number;
}

/**
 * Posts every job, `concurrency` in flight, each signed with `secret` as Shipcast signs
 * (`X-Hub-Signature-256`, computed before the loop starts), and counts what the receiver got.
 */
export async function runBare(
  receiver: Receiver,
  jobs: BareJob[],
  concurrency: number,
  secret: string,
  client: BareClient = "fetch",
): Promise<BareRun> {
  // The receiver is on loopback: opened as ALLOW_LOCAL_NETWORK opens it for the Shipcast run.
  const http = createOutboundHttp({ guard: { allowLocal: true } });
  const requests = jobs.map((job, i) => ({
    url: `${receiver.base}${job.path}`,
    body: job.body,
    headers: {
      "content-type": "application/json",
      "x-shipcast-delivery": `bare_${i}`,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(job.body).digest("hex")}`,
    },
  }));
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstProblem: string | undefined;
  let firstStart = Number.POSITIVE_INFINITY;
  const worker = async () => {
    for (;;) {
      const request = requests[next++];
      if (request === undefined) return;
      const started = now();
      firstStart = Math.min(firstStart, started);
      try {
        let status: number;
        if (client === "fetch") {
          const response = await http.fetch(request.url, {
            method: "POST",
            headers: request.headers,
            body: request.body,
          });
          await response.text();
          status = response.status;
        } else {
          ({ status } = await http.send(request));
        }
        latencies.push(now() - started);
        if (status === 200) ok++;
        else {
          failed++;
          firstProblem ??= `HTTP ${status}`;
        }
      } catch (error) {
        failed++;
        firstProblem ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const arrivals = await receiver.arrivals();
  const lastArrival = arrivals.reduce((last, [at]) => Math.max(last, at), 0);
  const windowMs = lastArrival - firstStart;
  const busyMs = latencies.reduce((sum, value) => sum + value, 0);
  return {
    client,
    sent: requests.length,
    ok,
    failed,
    firstProblem,
    rate: arrivals.length / (windowMs / 1000),
    windowMs,
    latency: spread(latencies),
    meanInFlight: busyMs / windowMs,
    received: arrivals.length,
    concurrency,
  };
}

/** The figures of a bare run. */
export function bareFigures(b: BareRun): Figure[] {
  return [
    [
      "requests",
      `${int(b.sent)}: ${int(b.ok)} answered 200, ${int(b.failed)} failed${b.firstProblem ? ` (first: ${b.firstProblem})` : ""}`,
    ],
    ["received", `${int(b.received)} of ${int(b.sent)}`],
    [
      "deliveries/s",
      `${int(b.rate)}   (${int(b.received)} in ${sec(b.windowMs, 2)} s, first request → last arrival)`,
    ],
    [
      "request latency",
      `p50 ${ms(b.latency.p50)} ms, p99 ${ms(b.latency.p99)} ms, max ${ms(b.latency.max)} ms`,
    ],
    ["requests in flight", `${b.meanInFlight.toFixed(1)} on average`],
  ];
}
