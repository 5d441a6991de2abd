import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countEventsByStatus, getEvent } from "../../src/store/events-repository.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";

/** Small seeded PRNG (mulberry32) so a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const bytes = (n: number) =>
  Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

const ROUTES = [
  "/api/github/webhooks",
  "/api/gitlab/webhooks",
  "/api/netlify/webhooks",
  "/api/v1/events",
  "/api/v1/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  "/api/v1/events/%E0%A4%A",
  "/healthz",
  "/",
  "/nope",
] as const;

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/x-www-form-urlencoded",
  "text/plain",
  "",
  "multipart/form-data; boundary=x",
] as const;

function randomBody(): Buffer {
  return pick([
    () => Buffer.alloc(0),
    () => bytes(Math.floor(random() * 2048)),
    () => Buffer.from(JSON.stringify({ id: random(), state: pick(["ready", "error", null]) })),
    () => Buffer.from("payload=%7B%22a%22%3A1%7D"),
    () => Buffer.from('{"deployment_status": {"state": "success"'),
    () => Buffer.from("[".repeat(5000)),
    () => Buffer.alloc(8192, "x"),
  ])();
}

function randomHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentType = pick(CONTENT_TYPES);
  if (contentType) headers["content-type"] = contentType;
  const candidates: Array<[string, () => string]> = [
    ["x-hub-signature-256", () => pick(["sha256=", "sha256=zz", `sha256=${"0".repeat(64)}`, ""])],
    ["x-hub-signature", () => "sha1=0000"],
    ["x-github-event", () => pick(["deployment_status", "push", "ping", "ünïcode"])],
    ["x-github-delivery", () => String(random())],
    ["x-gitlab-token", () => pick(["", "wrong", SECRETS.gitlab.slice(0, -1), "x".repeat(500)])],
    ["x-gitlab-event", () => pick(["Deployment Hook", "Note Hook", ""])],
    ["x-webhook-signature", () => pick(["a.b.c", "", "eyJhbGciOiJub25lIn0.e30.", "...."])],
    ["x-nf-sign", () => pick(["x", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"])],
    [
      "authorization",
      () =>
        pick([
          "Bearer",
          "Bearer x",
          "Basic abc",
          `Bearer ${SECRETS.admin}x`,
          `Bearer ${SECRETS.admin}`,
        ]),
    ],
  ];
  for (const [name, value] of candidates) if (random() < 0.5) headers[name] = value();
  return headers;
}

describe("fuzzing every route", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", { MAX_PAYLOAD_BYTES: "4096" });
  });
  afterAll(async () => {
    await app.close();
  });

  it(`answers random requests with a clear 4xx/5xx and stores nothing unverified (seed ${SEED})`, async () => {
    const allowed = new Set([200, 400, 401, 404, 405, 413, 415]);
    for (let i = 0; i < 400; i++) {
      const path = pick(ROUTES);
      const method = pick(["POST", "POST", "POST", "GET", "PUT", "DELETE"]);
      const init: RequestInit = { method, headers: randomHeaders() };
      if (method !== "GET") init.body = new Uint8Array(randomBody());
      let status: number;
      try {
        status = (await fetch(`${app.url}${path}`, init)).status;
      } catch (error) {
        // Only an oversized body may see its connection closed before the answer is read.
        expect(String((error as Error).cause ?? error)).toMatch(
          /SocketError|ECONNRESET|EPIPE|other side closed/,
        );
        continue;
      }
      expect(allowed.has(status), `${method} ${path} answered ${status}`).toBe(true);
    }
    const counts = await countEventsByStatus(app.shipcast.store.db);
    expect(counts.pending + counts.processed + counts.ignored + counts.failed).toBe(0);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("survives truncated, oversized and garbage HTTP on raw sockets", async () => {
    const { port } = new URL(app.url);
    const raw = (payload: Buffer | string, endAfterMs = 20) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1");
        let answer = "";
        socket.on("data", (chunk) => {
          answer += chunk.toString("latin1");
          // An answer came: no need to wait for the server to close.
          if (answer.includes("\r\n\r\n")) setTimeout(() => socket.destroy(), 10);
        });
        socket.on("error", () => resolve(answer));
        socket.on("close", () => resolve(answer));
        socket.write(payload);
        setTimeout(() => socket.destroy(), endAfterMs);
      });
    const route = () => pick(ROUTES.slice(0, 3));
    const headerPass = [
      `x-hub-signature-256: ${githubSignature(SECRETS.github, "another body")}`,
      `x-gitlab-token: ${SECRETS.gitlab}`,
      `x-webhook-signature: ${await netlifySignature(SECRETS.netlify, "another body")}`,
      "",
    ].join("\r\n");
    for (let i = 0; i < 60; i++) {
      const kind = i % 5;
      if (kind === 0) {
        // Body shorter than its Content-Length, then the client vanishes.
        await raw(
          `POST ${route()} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"a":`,
        );
      } else if (kind === 1) {
        // Declared far above the limit.
        const answer = await raw(
          `POST ${route()} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 999999999\r\n\r\n`,
          200,
        );
        expect(answer).toMatch(/^HTTP\/1\.1 (413|401|503)/);
      } else if (kind === 2) {
        // Chunked, above the limit, never finished, with signature headers good enough for the
        // body to be read.
        const answer = await raw(
          Buffer.concat([
            Buffer.from(
              `POST ${route()} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${headerPass}transfer-encoding: chunked\r\n\r\n2000\r\n`,
            ),
            bytes(0x2000),
            Buffer.from("\r\n"),
          ]),
          200,
        );
        expect(answer).toMatch(/^HTTP\/1\.1 413/);
      } else if (kind === 3) {
        await raw(bytes(1 + Math.floor(random() * 600)));
      } else {
        // Headers cut in the middle.
        await raw(`POST ${route()} HTTP/1.1\r\nhost: x\r\ncontent-ty`);
      }
    }
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const counts = await countEventsByStatus(app.shipcast.store.db);
    expect(counts.pending + counts.processed + counts.ignored + counts.failed).toBe(0);
  });
});

/** JSON text nested `depth` levels: objects in objects, or arrays in arrays. */
function nested(depth: number, shape: "object" | "array"): string {
  return shape === "object"
    ? `${'{"n":'.repeat(depth)}1${"}".repeat(depth)}`
    : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** A real event of each source with a deeply nested value where the sender may put anything. */
const DEEP_SENDERS = [
  {
    route: "/api/github/webhooks",
    body: (deep: string) => {
      const event = structuredClone(githubExamplesOf("deployment_status")[0]) as {
        deployment: Record<string, unknown>;
      };
      event.deployment.payload = { marker: "DEEP" };
      return JSON.stringify(event).replace('{"marker":"DEEP"}', deep);
    },
    headers: async (body: string) => ({
      "x-github-event": "deployment_status",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": githubSignature(SECRETS.github, body),
    }),
  },
  {
    route: "/api/gitlab/webhooks",
    body: (deep: string) => {
      const event = JSON.parse(fixtureText("gitlab/deployment.json")) as Record<string, unknown>;
      event.extra = "DEEP";
      return JSON.stringify(event).replace('"DEEP"', deep);
    },
    headers: async () => ({
      "x-gitlab-event": "Deployment Hook",
      "x-gitlab-token": SECRETS.gitlab,
      "idempotency-key": randomUUID(),
    }),
  },
  // Netlify twice: with the log token (removed before storing, so the body is written back)
  // and without it (stored as received).
  ...[true, false].map((withLogToken) => ({
    route: "/api/netlify/webhooks",
    body: (deep: string) => {
      const event = JSON.parse(fixtureText("netlify/deploy_failed.deploy-preview.json")) as Record<
        string,
        unknown
      >;
      event.id = randomUUID();
      if (!withLogToken) delete event.log_access_attributes;
      event.extra = "DEEP";
      return JSON.stringify(event).replace('"DEEP"', deep);
    },
    headers: async (body: string) => ({
      "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
    }),
  })),
];

describe("deeply nested signed bodies", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite");
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    [20_000, "object"],
    [20_000, "array"],
    [100_000, "object"],
    [100_000, "array"],
  ] as const)(
    "nested %i levels (%s) are answered 202 or 400 on every source route, and the server stays healthy",
    async (depth, shape) => {
      const deep = nested(depth, shape);
      const accepted: string[] = [];
      for (const sender of DEEP_SENDERS) {
        const body = sender.body(deep);
        expect(body.length).toBeGreaterThan(depth);
        const res = await fetch(`${app.url}${sender.route}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(await sender.headers(body)) },
          body,
        });
        expect([202, 400], `${sender.route} answered ${res.status}`).toContain(res.status);
        if (res.status === 202) accepted.push(((await res.json()) as { id: string }).id);
        expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      }
      // The worker gets through each accepted event (whatever it makes of it) and the server is
      // still answering afterwards.
      for (const id of accepted) {
        const row = await eventually(async () => {
          const event = await getEvent(app.shipcast.store.db, id);
          return event && event.status !== "pending" ? event : undefined;
        });
        expect(["processed", "ignored", "failed"]).toContain(row.status);
      }
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    },
  );
});
