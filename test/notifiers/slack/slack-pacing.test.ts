/**
 * Pacing of the `slack` notifier against a real Slack-style receiver on loopback. The assertions
 * are about order and spacing, never about speed: every message arrives, in the order it left,
 * and the spacing between arrivals to one URL is the interval less a small tolerance. Arrivals
 * are judged by their median gap: a loaded machine can stall one request on its way (a paused
 * process shortens one gap and lengthens the next), while without pacing every gap is close to
 * nothing. The exact spacing of the slots is tested with a clock of its own in
 * `slack-pacer.test.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import type { AttemptResult, DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { slackNotifier } from "../../../src/notifiers/slack/slack.js";
import { createOutboundHttp, type OutboundHttp } from "../../../src/outbound/http-client.js";

const INTERVAL_MS = 100;
/** Loopback latency may differ a little between two requests. */
const TOLERANCE_MS = 30;

/**
 * The receiver runs in its own process, like Slack: arrival times are taken on its own event
 * loop, not queued behind the sender's work in this one. Paths listed in `?limit=` answer 429
 * with `Retry-After: 1` once; `GET /arrivals` lists what arrived, `DELETE /arrivals` forgets it.
 */
const RECEIVER = `
const http = require("node:http");
let arrivals = [];
const limited = new Set();
const server = http.createServer((req, res) => {
  const at = performance.timeOrigin + performance.now();
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/arrivals") {
    if (req.method === "DELETE") { arrivals = []; limited.clear(); }
    for (const path of url.searchParams.getAll("limit")) limited.add(path);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(arrivals));
    return;
  }
  arrivals.push({ path: url.pathname, delivery: req.headers["x-shipcast-delivery"], at });
  req.resume();
  req.on("end", () => {
    if (limited.delete(url.pathname)) res.writeHead(429, { "retry-after": "1" }).end("rate_limited");
    else res.writeHead(200, { "content-type": "text/html" }).end("ok");
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

let receiver: ChildProcess;
let baseUrl = "";

/** One request, where it left or where it arrived. */
interface Sighting {
  path: string;
  delivery: string;
  at: number;
}

/** Every request the notifier handed to its HTTP client, when it did. */
const sent: Sighting[] = [];
const client = createOutboundHttp({ guard: { allowLocal: true } });
const http: OutboundHttp = {
  fetch: (input, init) => {
    const headers = init?.headers as Record<string, string>;
    sent.push({
      path: new URL(String(input)).pathname,
      delivery: headers["X-Shipcast-Delivery"] ?? "",
      at: performance.timeOrigin + performance.now(),
    });
    return client.fetch(input, init);
  },
  fetchInsecure: client.fetchInsecure,
  send: client.send,
};

beforeAll(async () => {
  receiver = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    receiver.stdout?.once("data", (data: Buffer) => resolve(data.toString().trim()));
    receiver.once("exit", (code) => reject(new Error(`the receiver exited with ${code}`)));
  });
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  receiver.kill();
});

/** Arrivals so far, in the receiver's order. */
async function arrivals(query = ""): Promise<Sighting[]> {
  const response = await fetch(`${baseUrl}/arrivals${query}`);
  return (await response.json()) as Sighting[];
}

beforeEach(async () => {
  // Two kept-alive connections and a warm client first: a cold first request (connect, JIT)
  // would leave late and shorten the gap to the next one.
  const warm = slackNotifier({ http, intervalMs: 0 });
  await Promise.all(["warm-1", "warm-2"].map((c) => warm.deliver({ url: url(c) }, context())));
  await fetch(`${baseUrl}/arrivals`, { method: "DELETE" });
  sent.length = 0;
});

const event: DeployEvent = {
  schemaVersion: 1,
  kind: "deploy.succeeded",
  source: "netlify",
  sourceEvent: "deploy_created",
  project: { name: "web-app" },
  environment: { name: "production", type: "PRODUCTION" },
  urls: {},
  occurredAt: "2024-05-01T12:00:00Z",
  ids: {},
};

function context(overrides: Partial<DeliveryContext> = {}): DeliveryContext {
  return {
    deliveryId: `del-${Math.random()}`,
    eventId: "evt-1",
    event,
    attempt: 1,
    signal: AbortSignal.timeout(10_000),
    ...overrides,
  };
}

function url(channel: string): string {
  return `${baseUrl}/services/T0001/B0001/${channel}`;
}

function at(channel: string, sightings: Sighting[]): Sighting[] {
  const path = new URL(url(channel)).pathname;
  return sightings.filter((sighting) => sighting.path === path);
}

function gaps(sightings: Sighting[]): number[] {
  return sightings.slice(1).map((sighting, i) => sighting.at - (sightings[i] as Sighting).at);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle)
    ? ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
    : (sorted[Math.floor(middle)] as number);
}

/**
 * All `count` messages to `channel` arrived, in the order they left, spaced by the interval
 * (median gap, less the tolerance).
 */
async function expectPaced(channel: string, count: number, interval = INTERVAL_MS) {
  const left = at(channel, sent);
  const arrived = at(channel, await arrivals());
  expect(left).toHaveLength(count);
  expect(arrived.map((a) => a.delivery)).toEqual(left.map((l) => l.delivery));
  expect(median(gaps(arrived))).toBeGreaterThanOrEqual(interval - TOLERANCE_MS);
  return { left, arrived };
}

describe("slack pacing per webhook URL", () => {
  it("spaces a burst to one URL at least the interval apart, and delivers all of it", async () => {
    const notifier = slackNotifier({ http, intervalMs: INTERVAL_MS });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => notifier.deliver({ url: url("burst") }, context())),
    );
    expect(results.map((r) => r.outcome)).toEqual(Array(5).fill("succeeded"));
    await expectPaced("burst", 5);
  });

  it("paces two URLs independently: one's queue does not hold the other up", async () => {
    const notifier = slackNotifier({ http, intervalMs: INTERVAL_MS });
    await Promise.all(
      // All of a's queued first: with one pace for every URL, b would wait behind them.
      ["a", "a", "a", "b", "b", "b"].map((channel) =>
        notifier.deliver({ url: url(channel) }, context()),
      ),
    );
    const a = await expectPaced("a", 3);
    const b = await expectPaced("b", 3);
    // b's first message went at once, before a's second one.
    expect(b.arrived[0]?.at).toBeLessThan(a.arrived[1]?.at as number);
  });

  it("holds the next message to a URL back by a 429's Retry-After", async () => {
    const notifier = slackNotifier({ http, intervalMs: INTERVAL_MS });
    await arrivals(`?limit=${encodeURIComponent(new URL(url("limited")).pathname)}`);
    const first = await notifier.deliver({ url: url("limited") }, context());
    expect(first).toMatchObject({ outcome: "retry", httpStatus: 429, retryAfterMs: 1000 });

    const second = await notifier.deliver({ url: url("limited") }, context());
    expect(second).toMatchObject({ outcome: "succeeded", httpStatus: 200 });
    await expectPaced("limited", 2, 1000);
  });

  it("does not wait past the attempt's deadline: it asks to be retried when its slot comes", async () => {
    const notifier = slackNotifier({ http, intervalMs: 60_000 });
    const first = await notifier.deliver({ url: url("slow-pace") }, context());
    expect(first.outcome).toBe("succeeded");

    const second = await notifier.deliver(
      { url: url("slow-pace") },
      context({ deadline: Date.now() + 10_000 }),
    );
    expect(second.outcome).toBe("retry");
    const retryAfterMs = second.outcome === "retry" ? second.retryAfterMs : undefined;
    expect(retryAfterMs).toBeGreaterThan(10_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(second).toMatchObject({ error: expect.stringContaining("not sent") });
    // Only the first message reached the receiver.
    expect(at("slow-pace", await arrivals())).toHaveLength(1);
  });

  it("without a deadline, waits no longer than maxWaitMs, and stops waiting when aborted", async () => {
    const notifier = slackNotifier({ http, intervalMs: 60_000, maxWaitMs: 120_000 });
    await notifier.deliver({ url: url("aborted") }, context());
    const controller = new AbortController();
    const waiting = notifier.deliver(
      { url: url("aborted") },
      context({ signal: controller.signal }),
    );
    controller.abort();
    const result: AttemptResult = await waiting;
    expect(result).toMatchObject({
      outcome: "retry",
      error: expect.stringContaining("timed out waiting for Slack's pace"),
    });
    expect(at("aborted", await arrivals())).toHaveLength(1);

    const impatient = slackNotifier({ http, intervalMs: 60_000, maxWaitMs: 50 });
    await impatient.deliver({ url: url("impatient") }, context());
    expect(await impatient.deliver({ url: url("impatient") }, context())).toMatchObject({
      outcome: "retry",
      error: expect.stringContaining("not sent"),
    });
    expect(at("impatient", await arrivals())).toHaveLength(1);
  });

  it("never names the webhook URL when it holds a message back", async () => {
    const notifier = slackNotifier({ http, intervalMs: 60_000, maxWaitMs: 0 });
    await notifier.deliver({ url: url("SecretToken0123456789abcd") }, context());
    const held = await notifier.deliver({ url: url("SecretToken0123456789abcd") }, context());
    expect(held.outcome).toBe("retry");
    expect(JSON.stringify(held)).not.toContain("SecretToken0123456789abcd");
  });
});
