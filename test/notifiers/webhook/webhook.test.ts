import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verify as verifyHubSignature } from "@octokit/webhooks-methods";
import { jwtVerify } from "jose";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { webhookBodySchema } from "../../../src/events/deploy-event-schema.js";
import type { AttemptResult, DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { type WebhookSettings, webhookNotifier } from "../../../src/notifiers/webhook/webhook.js";
import { createOutboundHttp } from "../../../src/outbound/http-client.js";

const VERSION = "9.8.7-test";

/** Every secret the tests configure; none may appear in any result. */
const HMAC_SECRET = "hmac-secret-6b1f0c2e9d4a7f35";
const JWS_SECRET = "jws-secret-a8d3e5f7c9b1e2d4";
const OLD_WHSEC = `whsec_${randomBytes(32).toString("base64")}`;
const NEW_WHSEC = `whsec_${randomBytes(24).toString("base64")}`;
const URL_USER = "deployer";
const URL_PASSWORD = "p@ss:w0rd/with-secret-9z";
const API_KEY = "custom-api-key-value-51c7e0";
const QUERY_TOKEN = "query-token-value-0f3e9a7d";

const BASIC = `Basic ${Buffer.from(`${URL_USER}:${URL_PASSWORD}`).toString("base64")}`;
const SECRET_VALUES = [
  HMAC_SECRET,
  JWS_SECRET,
  OLD_WHSEC,
  NEW_WHSEC,
  OLD_WHSEC.slice("whsec_".length),
  NEW_WHSEC.slice("whsec_".length),
  URL_PASSWORD,
  encodeURIComponent(URL_PASSWORD),
  BASIC.slice("Basic ".length),
  API_KEY,
  QUERY_TOKEN,
];

const EVENT: DeployEvent = {
  schemaVersion: 1,
  kind: "deploy.succeeded",
  source: "netlify",
  sourceEvent: "deploy_created",
  project: {
    name: "dazzling-almeida-67ef75",
    id: "5e3c1c2a-7a8f-4e2b-9d1a-0b6c2f1e4d3a",
    repository: {
      host: "github",
      origin: "https://github.com",
      fullPath: "acme/site",
      url: "https://github.com/acme/site",
    },
  },
  environment: { name: "deploy-preview", type: "PREVIEW" },
  commit: { sha: "a".repeat(40), ref: "feature/ünïcode", message: "Add the café page ☕" },
  change: { number: 6, url: "https://github.com/acme/site/pull/6" },
  urls: { deploy: "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.app" },
  actor: "ada",
  occurredAt: "2026-01-02T03:04:05.000Z",
  ids: { deploy: "65f0c0ffee0000000000abcd" },
};

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  /** The exact bytes received: signatures are checked on these. */
  raw: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

let flakyCalls = 0;

/** Stand-ins for a receiver's answers, chosen by the path. */
const handlers: Record<string, Handler> = {
  "/ok": (_req, res) =>
    res
      .writeHead(200, { "content-type": "application/json", "x-receiver": "test" })
      .end('{"received":true}'),
  "/no-content": (_req, res) => res.writeHead(204).end(),
  "/server-error": (_req, res) => res.writeHead(500, { "retry-after": "30" }).end("boom"),
  "/gone": (_req, res) => res.writeHead(410).end("this hook was deleted"),
  "/redirect": (_req, res) =>
    res.writeHead(302, { location: `${baseUrl}/redirect-target` }).end("moved"),
  "/redirect-target": (_req, res) => res.writeHead(200).end("should never be reached"),
  "/rate-limited": (_req, res) => res.writeHead(429, { "retry-after": "7" }).end("slow down"),
  "/request-timeout": (_req, res) => res.writeHead(408).end("too slow"),
  "/bad-request": (_req, res) => res.writeHead(400).end("unknown field"),
  "/big": (_req, res) => res.writeHead(200).end("x".repeat(200_000)),
  // Answers nothing: the attempt's signal has to end it.
  "/slow": () => undefined,
  // Fails once, then accepts: the retry of one delivery.
  "/flaky": (_req, res) => {
    flakyCalls += 1;
    if (flakyCalls === 1) res.writeHead(503).end("warming up");
    else res.writeHead(200).end("ok");
  },
  // A receiver that repeats everything it was sent, in its body and its headers.
  "/echo": (req, res, received) =>
    res
      .writeHead(400, {
        "x-echo-authorization": String(req.headers.authorization ?? ""),
        "x-echo-key": String(req.headers["x-api-key"] ?? ""),
        "set-cookie": `session=${API_KEY}; HttpOnly`,
      })
      .end(JSON.stringify({ url: req.url, headers: req.headers, body: received.raw.toString() })),
};

let server: Server;
let baseUrl = "";
let closedPortUrl = "";
const received: Received[] = [];
const http = createOutboundHttp({ guard: { allowLocal: true } });
const notifier = webhookNotifier({ http, version: VERSION });

function listen(target: Server): Promise<string> {
  return new Promise((resolve) => {
    target.listen(0, "127.0.0.1", () => {
      const { port } = target.address() as AddressInfo;
      resolve(`127.0.0.1:${port}`);
    });
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      const entry = { path, headers: req.headers, raw: Buffer.concat(chunks) };
      received.push(entry);
      const handler = handlers[path];
      if (handler === undefined) res.writeHead(418).end("no such handler");
      else handler(req, res, entry);
    });
  });
  baseUrl = `http://${await listen(server)}`;
  const closed = createServer();
  closedPortUrl = `http://${await listen(closed)}/ok`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  flakyCalls = 0;
});

/** Settings as the routing file would give them, parsed by the notifier's own schema. */
function settings(input: Record<string, unknown>): WebhookSettings {
  return notifier.settings.parse(input);
}

/** Every secret at once, and credentials in the URL. */
function fullSettings(path: string, extra: Record<string, unknown> = {}): WebhookSettings {
  const host = baseUrl.replace("http://", "");
  return settings({
    url: `http://${URL_USER}:${encodeURIComponent(URL_PASSWORD)}@${host}${path}`,
    headers: { "X-Api-Key": API_KEY, "X-Team": "platform" },
    secret: HMAC_SECRET,
    jws_secret: JWS_SECRET,
    standard_webhooks_secret: [OLD_WHSEC, NEW_WHSEC],
    ...extra,
  });
}

function context(overrides: Partial<DeliveryContext> = {}): DeliveryContext {
  return {
    deliveryId: "dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3",
    eventId: "evt_01JB8ZK4Q6V2S0M4H5D3F1B2C4",
    event: EVENT,
    attempt: 1,
    signal: AbortSignal.timeout(5_000),
    ...overrides,
  };
}

function receivedAt(path: string): Received {
  const hit = received.find((r) => r.path === path);
  if (hit === undefined) throw new Error(`nothing received at ${path}`);
  return hit;
}

function header(entry: Received, name: string): string {
  const value = entry.headers[name];
  if (typeof value !== "string") throw new Error(`no single ${name} header received`);
  return value;
}

function expectNoSecrets(result: AttemptResult): void {
  const text = JSON.stringify(result);
  for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
}

/** What a receiver does: checks all three signatures, each with an independent verifier. */
async function verifyAllSignatures(entry: Received): Promise<void> {
  await expect(
    verifyHubSignature(
      HMAC_SECRET,
      entry.raw.toString("utf8"),
      header(entry, "x-hub-signature-256"),
    ),
  ).resolves.toBe(true);

  const { payload } = await jwtVerify(
    header(entry, "x-nf-sign"),
    new TextEncoder().encode(JWS_SECRET),
    {
      algorithms: ["HS256"],
      issuer: "shipcast",
      maxTokenAge: "5 minutes",
    },
  );
  expect(payload.sha256).toBe(createHash("sha256").update(entry.raw).digest("hex"));

  const standard = {
    "webhook-id": header(entry, "webhook-id"),
    "webhook-timestamp": header(entry, "webhook-timestamp"),
    "webhook-signature": header(entry, "webhook-signature"),
  };
  // Mid-rotation: a receiver holding only the old secret, and one holding only the new one.
  expect(new Webhook(OLD_WHSEC).verify(entry.raw, standard)).toEqual(
    JSON.parse(entry.raw.toString()),
  );
  expect(() => new Webhook(NEW_WHSEC).verify(entry.raw, standard)).not.toThrow();
}

describe("webhook delivery that succeeds", () => {
  it("POSTs the event as JSON with Shipcast's headers, the custom ones and Basic auth", async () => {
    const result = await notifier.deliver(fullSettings("/ok"), context());
    expect(result.outcome).toBe("succeeded");

    const entry = receivedAt("/ok");
    expect(JSON.parse(entry.raw.toString("utf8"))).toEqual({
      id: "evt_01JB8ZK4Q6V2S0M4H5D3F1B2C4",
      ...EVENT,
    });
    expect(Object.keys(JSON.parse(entry.raw.toString("utf8")) as object)[0]).toBe("id");
    expect(webhookBodySchema.safeParse(JSON.parse(entry.raw.toString("utf8"))).success).toBe(true);
    expect(header(entry, "content-type")).toBe("application/json");
    expect(header(entry, "user-agent")).toBe(`Shipcast/${VERSION}`);
    expect(header(entry, "x-shipcast-event")).toBe("deploy.succeeded");
    expect(header(entry, "x-shipcast-delivery")).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
    expect(header(entry, "webhook-id")).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
    expect(header(entry, "x-api-key")).toBe(API_KEY);
    expect(header(entry, "x-team")).toBe("platform");
    expect(header(entry, "authorization")).toBe(BASIC);
    expect(header(entry, "host")).not.toContain(URL_USER);
  });

  it("signs the bytes sent with all three schemes, each verified independently", async () => {
    await notifier.deliver(fullSettings("/ok"), context());
    const entry = receivedAt("/ok");
    expect(header(entry, "webhook-signature").split(" ")).toHaveLength(2);
    await verifyAllSignatures(entry);
  });

  it("records the request with secrets redacted, and the answer's status, headers and body", async () => {
    const result = await notifier.deliver(fullSettings("/ok"), context());
    expect(result.httpStatus).toBe(200);
    expect(result.response).toBe('{"received":true}');
    expect(result.responseHeaders).toMatchObject({
      "content-type": "application/json",
      "x-receiver": "test",
    });
    const entry = receivedAt("/ok");
    expect(result.request).toEqual({
      method: "POST",
      url: `${baseUrl}/ok`,
      headers: {
        "content-type": "application/json",
        "user-agent": `Shipcast/${VERSION}`,
        "x-shipcast-event": "deploy.succeeded",
        "x-shipcast-delivery": "dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3",
        "x-api-key": "[redacted]",
        "x-team": "[redacted]",
        authorization: "[redacted]",
        "x-hub-signature-256": "[redacted]",
        "x-nf-sign": "[redacted]",
        "webhook-id": "dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3",
        "webhook-timestamp": header(entry, "webhook-timestamp"),
        "webhook-signature": "[redacted]",
      },
      body: entry.raw.toString("utf8"),
    });
    expectNoSecrets(result);
  });

  it("treats every custom header value as a secret: sent in clear, recorded redacted", async () => {
    const custom = { "X-Team": "team-web-7q", "X-Region": "eu-west-3b", "X-Tier": "gold5" };
    const result = await notifier.deliver(
      settings({ url: `${baseUrl}/ok`, headers: custom }),
      context(),
    );
    expect(result.outcome).toBe("succeeded");
    // The receiver gets the real values…
    const entry = receivedAt("/ok");
    expect(header(entry, "x-team")).toBe("team-web-7q");
    expect(header(entry, "x-region")).toBe("eu-west-3b");
    expect(header(entry, "x-tier")).toBe("gold5");
    // …the attempt's record shows none of them, wherever it looks.
    expect(result.request?.headers).toMatchObject({
      "x-team": "[redacted]",
      "x-region": "[redacted]",
      "x-tier": "[redacted]",
    });
    const text = JSON.stringify(result);
    for (const value of Object.values(custom)) expect(text).not.toContain(value);
  });

  it("sends every delivery of one target's settings the same way, and follows a URL changed in place", async () => {
    const same = fullSettings("/ok");
    for (const deliveryId of ["dlv_01JB8ZK4Q6V2S0M4H5D3F1B2D1", "dlv_01JB8ZK4Q6V2S0M4H5D3F1B2D2"]) {
      const result = await notifier.deliver(same, context({ deliveryId }));
      expect(result.outcome).toBe("succeeded");
      expectNoSecrets(result);
    }
    const sent = received.filter((entry) => entry.path === "/ok");
    expect(sent.map((entry) => header(entry, "authorization"))).toEqual([BASIC, BASIC]);
    // The same object, another URL (its credentials gone): worked out again, not remembered.
    same.url = `${baseUrl}/no-content`;
    const moved = await notifier.deliver(same, context());
    expect(moved).toMatchObject({ outcome: "succeeded", httpStatus: 204 });
    expect(receivedAt("/no-content").headers.authorization).toBeUndefined();
    same.url = "ftp://example.com/hook";
    expect(await notifier.deliver(same, context())).toMatchObject({ outcome: "failed" });
  });

  it("accepts 204 No Content", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/no-content` }), context());
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 204, response: "" });
  });

  it("sends only the signature headers of the secrets configured", async () => {
    await notifier.deliver(settings({ url: `${baseUrl}/ok`, secret: HMAC_SECRET }), context());
    const entry = receivedAt("/ok");
    expect(entry.headers["x-hub-signature-256"]).toBeDefined();
    expect(entry.headers["x-nf-sign"]).toBeUndefined();
    expect(entry.headers["webhook-signature"]).toBeUndefined();
    expect(entry.headers["webhook-id"]).toBeUndefined();
    expect(entry.headers.authorization).toBeUndefined();
  });

  it("lets a custom Authorization header win over credentials in the URL", async () => {
    const result = await notifier.deliver(
      fullSettings("/ok", { headers: { Authorization: `Bearer ${API_KEY}` } }),
      context(),
    );
    expect(header(receivedAt("/ok"), "authorization")).toBe(`Bearer ${API_KEY}`);
    expect(result.request?.headers.authorization).toBe("[redacted]");
    expectNoSecrets(result);
  });

  it("sends a secret-looking query parameter but logs it redacted", async () => {
    const result = await notifier.deliver(
      settings({ url: `${baseUrl}/ok?token=${QUERY_TOKEN}&team=ops` }),
      context(),
    );
    expect(result.outcome).toBe("succeeded");
    expect(received.at(-1)?.path).toBe("/ok");
    expect(result.request?.url).toBe(`${baseUrl}/ok?token=%5Bredacted%5D&team=ops`);
    expectNoSecrets(result);
  });

  it("keeps at most 16 KB of a long answer", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/big` }), context());
    expect(result.outcome).toBe("succeeded");
    expect(result.response?.length).toBe(16 * 1024);
  });
});

describe("webhook delivery that fails or is retried", () => {
  it("retries on 5xx with Retry-After, and the retry carries the same delivery id", async () => {
    const first = await notifier.deliver(fullSettings("/flaky"), context());
    expect(first).toMatchObject({ outcome: "retry", httpStatus: 503, response: "warming up" });
    const second = await notifier.deliver(fullSettings("/flaky"), context({ attempt: 2 }));
    expect(second.outcome).toBe("succeeded");

    const [one, two] = received.filter((r) => r.path === "/flaky");
    if (one === undefined || two === undefined) throw new Error("expected two requests");
    for (const entry of [one, two]) {
      expect(header(entry, "x-shipcast-delivery")).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
      expect(header(entry, "webhook-id")).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
      await verifyAllSignatures(entry);
    }
    expect(two.raw.equals(one.raw)).toBe(true);
  });

  it("retries on 500 and passes Retry-After on", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/server-error` }), context());
    expect(result).toMatchObject({
      outcome: "retry",
      retryAfterMs: 30_000,
      httpStatus: 500,
      response: "boom",
    });
    expect(result.outcome === "retry" && result.error).toBe("the receiver answered 500 boom");
  });

  it("retries on 429 after the Retry-After delay", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/rate-limited` }), context());
    expect(result).toMatchObject({ outcome: "retry", retryAfterMs: 7_000, httpStatus: 429 });
    expect(result.responseHeaders?.["retry-after"]).toBe("7");
  });

  it("retries on 408", async () => {
    const result = await notifier.deliver(
      settings({ url: `${baseUrl}/request-timeout` }),
      context(),
    );
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 408 });
  });

  it("fails for good on another 4xx", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/bad-request` }), context());
    expect(result).toMatchObject({
      outcome: "failed",
      httpStatus: 400,
      error: "the receiver answered 400 unknown field",
    });
    expect(result.disableTarget).toBeUndefined();
  });

  it("fails on 410 Gone and disables the notification", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/gone` }), context());
    expect(result).toMatchObject({
      outcome: "failed",
      httpStatus: 410,
      disableTarget: "the receiver answered 410 Gone",
      response: "this hook was deleted",
    });
  });

  it("fails on a redirect without following it", async () => {
    const result = await notifier.deliver(settings({ url: `${baseUrl}/redirect` }), context());
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 302 });
    expect(result.outcome === "failed" && result.error).toBe(
      `the receiver answered 302: redirects are not followed (Location: ${baseUrl}/redirect-target)`,
    );
    expect(received.map((r) => r.path)).toEqual(["/redirect"]);
  });

  it("retries when the attempt's time runs out, with the request on record", async () => {
    const result = await notifier.deliver(
      fullSettings("/slow"),
      context({ signal: AbortSignal.timeout(300) }),
    );
    expect(result).toMatchObject({ outcome: "retry", error: "timed out waiting for the receiver" });
    expect(result.httpStatus).toBeUndefined();
    expect(result.request?.headers["x-shipcast-delivery"]).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
    expect(received.map((r) => r.path)).toEqual(["/slow"]);
    expectNoSecrets(result);
  });

  it("retries when the connection is refused", async () => {
    const result = await notifier.deliver(settings({ url: closedPortUrl }), context());
    expect(result).toMatchObject({ outcome: "retry", error: "connection refused (ECONNREFUSED)" });
  });

  it("fails for good when the network guard refuses the address", async () => {
    const guarded = webhookNotifier({ http: createOutboundHttp(), version: VERSION });
    const result = await guarded.deliver(fullSettings("/ok"), context());
    expect(result.outcome).toBe("failed");
    expect(result.outcome === "failed" && result.error).toMatch(/network guard/);
    expect(received).toEqual([]);
    expectNoSecrets(result);
  });

  it("keeps every secret out of the result when the receiver echoes the request", async () => {
    const result = await notifier.deliver(
      fullSettings("/echo", {
        url: `${fullSettings("/echo").url}?api_token=${QUERY_TOKEN}`,
        headers: { "X-Api-Key": API_KEY, "X-Team": "platform", "X-Tier": "gold" },
      }),
      context(),
    );
    expect(result.outcome).toBe("failed");
    // The receiver did get the real values…
    const entry = receivedAt("/echo");
    expect(header(entry, "authorization")).toBe(BASIC);
    expect(header(entry, "x-api-key")).toBe(API_KEY);
    // …and its echo of them is scrubbed everywhere in the result.
    expect(result.response).toContain("[redacted]");
    expect(result.responseHeaders?.["x-echo-authorization"]).toBe("[redacted]");
    expect(result.responseHeaders?.["set-cookie"]).toBe("[redacted]");
    expectNoSecrets(result);
    // Custom header values too, a short one where it stands alone in the echo.
    expect(result.response).toContain('"x-team":"[redacted]"');
    expect(result.response).toContain('"x-tier":"[redacted]"');
    expect(result.response).not.toContain("platform");
  });

  it("does not accept change.closed: a pull request's closing is for its comment only", () => {
    expect(notifier.accepts?.({ ...EVENT, kind: "change.closed" })).toBe(false);
    expect(notifier.accepts?.(EVENT)).toBe(true);
  });
});

describe("webhook settings", () => {
  function problems(input: Record<string, unknown>): string[] {
    const parsed = notifier.settings.safeParse(input);
    if (parsed.success) return [];
    return parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  }

  it("default to no headers and TLS verification on, and take one Standard Webhooks secret", () => {
    expect(
      settings({ url: "https://example.com/hook", standard_webhooks_secret: OLD_WHSEC }),
    ).toEqual({
      url: "https://example.com/hook",
      headers: {},
      standard_webhooks_secret: [OLD_WHSEC],
      ssl_verification: true,
    });
  });

  it("refuse a URL that is not http(s)", () => {
    expect(problems({ url: "ftp://example.com/hook" })).toEqual(["url: must be an http(s) URL"]);
    expect(problems({ url: "not a url" })).toEqual(["url: must be an http(s) URL"]);
  });

  it("refuse more than 20 custom headers", () => {
    const headers = Object.fromEntries(
      Array.from({ length: 21 }, (_, i) => [`X-Custom-${i}`, "v"]),
    );
    expect(problems({ url: "https://example.com/", headers })).toEqual([
      "headers: at most 20 custom headers (got 21)",
    ]);
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-Custom-${i}`, "v"]));
    expect(problems({ url: "https://example.com/", headers: twenty })).toEqual([]);
  });

  it("refuse header names Shipcast sets itself, invalid names and unsafe values", () => {
    expect(
      problems({
        url: "https://example.com/",
        headers: {
          "X-Shipcast-Event": "x",
          "User-Agent": "x",
          "Content-Type": "text/plain",
          "Webhook-Signature": "v1,x",
          "X-Hub-Signature-256": "x",
          "Bad Header": "x",
          "X-Split": "a\r\nInjected: yes",
        },
      }),
    ).toEqual([
      "headers.X-Shipcast-Event: header is set by Shipcast and cannot be overridden",
      "headers.User-Agent: header is set by Shipcast and cannot be overridden",
      "headers.Content-Type: header is set by Shipcast and cannot be overridden",
      "headers.Webhook-Signature: header is set by Shipcast and cannot be overridden",
      "headers.X-Hub-Signature-256: header is set by Shipcast and cannot be overridden",
      "headers.Bad Header: header is not a valid header name",
      "headers.X-Split: header has a value with a line break, a control character or a character beyond Latin-1",
    ]);
    expect(problems({ url: "https://example.com/", headers: { "X-A": "1", "x-a": "2" } })).toEqual([
      "headers.x-a: header is given twice (header names are case-insensitive)",
    ]);
  });

  it("refuse a bad Standard Webhooks secret without quoting it", () => {
    const short = `whsec_${randomBytes(16).toString("base64")}`;
    const unprefixed = randomBytes(32).toString("base64");
    const message = "must be whsec_ followed by the base64 of a 24 to 64 byte key";
    expect(problems({ url: "https://example.com/", standard_webhooks_secret: short })).toEqual([
      `standard_webhooks_secret: ${message}`,
    ]);
    expect(
      problems({ url: "https://example.com/", standard_webhooks_secret: [OLD_WHSEC, unprefixed] }),
    ).toEqual([`standard_webhooks_secret.1: ${message}`]);
    expect(problems({ url: "https://example.com/", standard_webhooks_secret: [] })).toHaveLength(1);
    const issues = JSON.stringify(
      notifier.settings.safeParse({ url: "https://x.test/", standard_webhooks_secret: short }),
    );
    expect(issues).not.toContain(short.slice("whsec_".length));
  });

  it("refuse empty secrets and unknown keys", () => {
    expect(problems({ url: "https://example.com/", secret: "" })).toHaveLength(1);
    expect(problems({ url: "https://example.com/", jws_secret: "" })).toHaveLength(1);
    expect(problems({ url: "https://example.com/", sslVerification: false })).toHaveLength(1);
  });
});

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI when there is one. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "shipcast-webhook-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = selfSignedCertificate();

// Skipped only where the openssl CLI is missing: node:crypto cannot make an X.509 certificate.
describe.skipIf(certificate === undefined)(
  "webhook to HTTPS with a self-signed certificate",
  () => {
    let tlsServer: ReturnType<typeof createHttpsServer>;
    let tlsUrl = "";
    const tlsReceived: string[] = [];

    beforeAll(async () => {
      if (certificate === undefined) return;
      tlsServer = createHttpsServer(certificate, (req, res) => {
        req.resume();
        req.on("end", () => {
          tlsReceived.push(req.url ?? "");
          res.writeHead(200).end("secure ok");
        });
      });
      tlsUrl = `https://${await listen(tlsServer as unknown as Server)}/hook`;
    });

    afterAll(async () => {
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    });

    it("is delivered when ssl_verification is false", async () => {
      const result = await notifier.deliver(
        settings({ url: tlsUrl, ssl_verification: false }),
        context(),
      );
      expect(result).toMatchObject({
        outcome: "succeeded",
        httpStatus: 200,
        response: "secure ok",
      });
      expect(tlsReceived).toEqual(["/hook"]);
    });

    it("fails with a TLS error when certificates are verified (the default)", async () => {
      tlsReceived.length = 0;
      const result = await notifier.deliver(settings({ url: tlsUrl }), context());
      expect(result.outcome).toBe("retry");
      expect(result.outcome === "retry" && result.error).toMatch(
        /^TLS error \(.*CERT.*\): .*self[- ]signed/i,
      );
      expect(result.outcome === "retry" && result.error).toContain("ssl_verification: false");
      expect(tlsReceived).toEqual([]);
    });
  },
);
