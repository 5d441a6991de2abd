import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import type { AttemptResult, DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { redactUrl, slackNotifier } from "../../../src/notifiers/slack/slack.js";
import { createOutboundHttp } from "../../../src/outbound/http-client.js";
import { parseRetryAfter } from "../../../src/outbound/http-facts.js";

/** The secret part of every test webhook URL; it must never come back in a result. */
const TOKEN = "xoxSecretToken0123456789";

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Stand-ins for Slack's answers, chosen by the webhook path's last segment. */
const handlers: Record<string, Handler> = {
  ok: (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("ok"),
  "server-error": (_req, res) => res.writeHead(500).end("internal_error"),
  unavailable: (_req, res) =>
    res.writeHead(503, { "retry-after": "30" }).end("service_unavailable"),
  "unavailable-until": (_req, res) =>
    res
      .writeHead(503, { "retry-after": new Date(Date.now() + 60_000).toUTCString() })
      .end("service_unavailable"),
  "rate-limited": (_req, res) => res.writeHead(429, { "retry-after": "7" }).end("rate_limited"),
  "channel-not-found": (_req, res) => res.writeHead(404).end("channel_not_found"),
  "invalid-payload": (_req, res) => res.writeHead(400).end("invalid_payload"),
  archived: (_req, res) => res.writeHead(410).end("channel_is_archived"),
  redirect: (_req, res) =>
    res.writeHead(302, { location: `${baseUrl}/redirect-target` }).end("moved"),
  // Answers nothing: the attempt's signal has to end it.
  hang: () => undefined,
  // Says 200 and starts a long body, then drops the connection mid-body.
  "cut-off": (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "100000" });
    res.write("ok", () => res.socket?.destroy());
  },
  "cut-off-error": (_req, res) => {
    res.writeHead(404, { "content-type": "text/plain", "content-length": "100000" });
    res.write("channel_not_found", () => res.socket?.destroy());
  },
  // A server that repeats the URL it was called on, token included.
  echo: (req, res) => res.writeHead(403).end(`invalid_token for ${baseUrl}${req.url}`),
};

let server: Server;
let baseUrl = "";
let closedPortUrl = "";
const received: Received[] = [];
// The stand-in Slack listens on 127.0.0.1: the network guard has to let loopback through.
const http = createOutboundHttp({ guard: { allowLocal: true } });
// Pacing has its own tests (slack-pacing.test.ts); here every message may go at once.
const notifier = slackNotifier({ http, intervalMs: 0 });

function webhookUrl(handler: string): string {
  return `${baseUrl}/services/T0001/B0001/${TOKEN}/${handler}`;
}

function listen(target: Server): Promise<string> {
  return new Promise((resolve) => {
    target.listen(0, "127.0.0.1", () => {
      const { port } = target.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      received.push({
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const handler = handlers[path.split("/").at(-1) ?? ""];
      if (handler === undefined) res.writeHead(418).end("no such handler");
      else handler(req, res);
    });
  });
  baseUrl = await listen(server);

  // A port that was just free: nothing listens there, so connecting is refused.
  const closed = createServer();
  closedPortUrl = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

const event: DeployEvent = {
  schemaVersion: 1,
  kind: "deploy.succeeded",
  source: "netlify",
  sourceEvent: "deploy_created",
  project: { name: "web-app" },
  environment: { name: "production", type: "PRODUCTION" },
  commit: { sha: "2bf6019eab7035beccc013d641445f9bb1006083", ref: "main" },
  urls: { deploy: "https://web-app.example.com" },
  occurredAt: "2024-05-01T12:00:00Z",
  ids: { deploy: "d1" },
};

function context(signal: AbortSignal = AbortSignal.timeout(5000)): DeliveryContext {
  return { deliveryId: "del-1", eventId: "evt-1", event, attempt: 1, signal };
}

function deliver(url: string, signal?: AbortSignal): Promise<AttemptResult> {
  return notifier.deliver({ url }, context(signal));
}

/** Nothing in a result may contain the webhook URL or its token. */
function expectRedacted(result: AttemptResult): void {
  const text = JSON.stringify(result);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain("/services/T0001/B0001/");
}

describe("slack notifier settings", () => {
  it("is registered under the kind slack", () => {
    expect(notifier.kind).toBe("slack");
  });

  it("accepts an https webhook URL", () => {
    const url = "https://hooks.slack.com/services/T0/B0/abc";
    expect(notifier.settings.parse({ url })).toEqual({ url });
  });

  it.each([
    ["a javascript: URL", { url: "javascript:alert(1)" }],
    ["an ftp URL", { url: "ftp://hooks.slack.com/services/x" }],
    ["a non-URL", { url: "hooks.slack.com/services/x" }],
    ["a missing URL", {}],
    ["unknown keys", { url: "https://hooks.slack.com/services/x", channel: "#general" }],
  ])("rejects %s", (_name, settings) => {
    expect(notifier.settings.safeParse(settings).success).toBe(false);
  });
});

describe("slack notifier delivery against a local receiver", () => {
  it("POSTs the JSON message with text and blocks and succeeds on 200 ok", async () => {
    const result = await deliver(webhookUrl("ok"));
    expect(result).toEqual({
      outcome: "succeeded",
      httpStatus: 200,
      response: "ok",
      responseHeaders: expect.objectContaining({ "content-type": "text/html" }),
    });

    expect(received).toHaveLength(1);
    const request = received[0];
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/services/T0001/B0001/${TOKEN}/ok`);
    expect(request?.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(request?.body ?? "") as { text?: unknown; blocks?: unknown };
    expect(body.text).toContain("✅ Deploy succeeded: web-app (production)");
    expect(Array.isArray(body.blocks)).toBe(true);
    expect((body.blocks as { type: string }[])[0]?.type).toBe("header");
  });

  it("retries on 500", async () => {
    const result = await deliver(webhookUrl("server-error"));
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 500 });
    expect(result).not.toHaveProperty("retryAfterMs");
    if (result.outcome !== "retry") throw new Error("expected retry");
    expect(result.error).toContain("500");
    expect(result.error).toContain("internal_error");
  });

  it("retries on 503 after the Retry-After seconds", async () => {
    const result = await deliver(webhookUrl("unavailable"));
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 503, retryAfterMs: 30_000 });
  });

  it("reads a Retry-After HTTP date", async () => {
    const result = await deliver(webhookUrl("unavailable-until"));
    expect(result.outcome).toBe("retry");
    if (result.outcome !== "retry") return;
    // HTTP dates have whole seconds: about a minute, give or take the rounding.
    expect(result.retryAfterMs).toBeGreaterThan(55_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("retries on 429 after Retry-After: 7 → 7000 ms", async () => {
    const result = await deliver(webhookUrl("rate-limited"));
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 429, retryAfterMs: 7000 });
  });

  it.each([
    ["channel-not-found", 404, "channel_not_found"],
    ["invalid-payload", 400, "invalid_payload"],
    ["archived", 410, "channel_is_archived"],
  ])("fails for good on %s (%i)", async (handler, status, slackError) => {
    const result = await deliver(webhookUrl(handler));
    expect(result).toMatchObject({ outcome: "failed", httpStatus: status, response: slackError });
    if (result.outcome !== "failed") return;
    expect(result.error).toContain(String(status));
    expect(result.error).toContain(slackError);
  });

  it("fails on a 302 without following it", async () => {
    const result = await deliver(webhookUrl("redirect"));
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 302 });
    if (result.outcome !== "failed") return;
    expect(result.error).toContain("redirects are not followed");
    // Give a follow-up request, were one made, the time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((request) => request.path)).toEqual([
      `/services/T0001/B0001/${TOKEN}/redirect`,
    ]);
  });

  it("retries with 'timed out' when the receiver hangs past the attempt's signal", async () => {
    const started = Date.now();
    const result = await deliver(webhookUrl("hang"), AbortSignal.timeout(200));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.outcome).toBe("retry");
    if (result.outcome !== "retry") return;
    expect(result.error).toContain("timed out");
    expectRedacted(result);
  });

  it("retries with 'connection refused' when nothing listens", async () => {
    const result = await deliver(`${closedPortUrl}/services/T0001/B0001/${TOKEN}`);
    expect(result.outcome).toBe("retry");
    if (result.outcome !== "retry") return;
    expect(result.error).toContain("connection refused");
    expect(result).not.toHaveProperty("httpStatus");
    expectRedacted(result);
  });

  it("never returns the webhook URL, even when the receiver echoes it", async () => {
    const result = await deliver(webhookUrl("echo"));
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 403 });
    expectRedacted(result);
    if (result.outcome !== "failed") return;
    expect(result.error).toContain("invalid_token for");
    expect(result.error).toContain("[redacted]");
  });

  it("classifies an answer whose body is cut off mid-stream by its status", async () => {
    expect(await deliver(webhookUrl("cut-off"))).toMatchObject({
      outcome: "succeeded",
      httpStatus: 200,
      response: "ok",
    });
    const refused = await deliver(webhookUrl("cut-off-error"));
    expect(refused).toMatchObject({
      outcome: "failed",
      httpStatus: 404,
      response: "channel_not_found",
      error:
        "Slack answered 404 channel_not_found (the channel was deleted or the app lost access to it)",
    });
    expectRedacted(refused);
  });

  it("does not accept change.closed: a pull request's closing is for its comment only", () => {
    expect(notifier.accepts?.({ ...event, kind: "change.closed" })).toBe(false);
    expect(notifier.accepts?.(event)).toBe(true);
  });

  it("does not throw when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await deliver(webhookUrl("ok"), controller.signal);
    expect(result).toMatchObject({ outcome: "retry", error: expect.stringContaining("timed out") });
  });
});

describe("slack notifier behind the network guard", () => {
  it("fails for good with the guard's reason when the host is loopback and local networks are shut", async () => {
    const guarded = slackNotifier({ http: createOutboundHttp() });
    const result = await guarded.deliver({ url: webhookUrl("ok") }, context());
    expect(result).toEqual({
      outcome: "failed",
      error:
        "refused by the network guard: 127.0.0.1 (loopback); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    });
    expectRedacted(result);
    expect(received).toEqual([]);
  });

  it("refuses a cloud metadata address even with local networks allowed, before any connect", async () => {
    const result = await deliver(`http://169.254.169.254/services/T0001/B0001/${TOKEN}/ok`);
    expect(result).toEqual({
      outcome: "failed",
      error:
        "refused by the network guard: 169.254.169.254 is a cloud metadata address, which is never allowed",
    });
    expectRedacted(result);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");

  it("reads delta-seconds", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Wed, 01 May 2024 12:01:30 GMT", now)).toBe(90_000);
    expect(parseRetryAfter("Wed, 01 May 2024 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores a missing or unparsable value", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});

describe("redactUrl", () => {
  it("hides the URL, its path and its token in their plain and encoded forms", () => {
    const url = `https://hooks.slack.com/services/T0001/B0001/${TOKEN}`;
    const text = [url, encodeURIComponent(url), `/services/T0001/B0001/${TOKEN}`, TOKEN].join(" ");
    const redacted = redactUrl(text, url);
    expect(redacted).not.toContain(TOKEN);
    expect(redacted).toBe("[redacted] [redacted] [redacted] [redacted]");
  });
});
