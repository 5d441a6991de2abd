import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { json, runCli } from "./cli-process.js";

const ADMIN_TOKEN = "emit-admin-token-0123456789";
const SOURCE_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const SHA = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";

interface EmitResult {
  url: string;
  message_id: string;
  status: number;
  answer: { id: string; duplicate?: boolean; error?: string };
}

describe("shipcast emit against a real Shipcast", { timeout: 120_000 }, () => {
  let dir: string;
  let shipcast: ChildShipcast;
  let source: { id: string; url: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-cli-emit-"));
    shipcast = await spawnShipcast(
      {
        DATABASE_URL: `sqlite:${join(dir, "shipcast.db")}`,
        SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
        SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 8).toString("base64"),
      },
      dir,
    );
    const res = await fetch(`${shipcast.url}/api/v1/sources`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "generic", name: "pipelines", secret: SOURCE_SECRET }),
    });
    expect(res.status).toBe(201);
    source = (await res.json()) as { id: string; url: string };
  });

  afterAll(async () => {
    await shipcast?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    SHIPCAST_URL: shipcast.url,
    SHIPCAST_SOURCE_SECRET: SOURCE_SECRET,
    ...extra,
  });

  /** The event as the API shows it once the worker is done with it. */
  async function processedEvent(id: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await fetch(`${shipcast.url}/api/v1/events/${id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      // biome-ignore lint/suspicious/noExplicitAny: checked field by field
      const event = (await res.json()) as any;
      if (event.status !== "pending") return event;
      if (Date.now() > deadline) throw new Error(`event ${id} still pending`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("signs and posts a report that becomes a normalized event from that source", async () => {
    const result = await runCli(
      [
        "emit",
        "--source",
        source.id,
        "--kind",
        "deploy.succeeded",
        "--project",
        "web",
        "--environment",
        "production",
        "--environment-type",
        "production",
        "--sha",
        SHA,
        "--ref",
        "main",
        "--repository-url",
        "https://github.com/acme/web",
        "--change",
        "12",
        "--deploy-url",
        "https://web.example.com",
        "--log-url",
        "https://ci.example.com/runs/7",
        "--description",
        "release 7",
        "--json",
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const emitted = json<EmitResult>(result);
    expect(emitted.status).toBe(202);
    expect(emitted.url).toBe(source.url);
    const event = await processedEvent(emitted.answer.id);
    expect(event.status).toBe("processed");
    expect(event.source).toBe("generic");
    expect(event.source_id).toBe(source.id);
    expect(event.headers["webhook-id"]).toBe(emitted.message_id);
    expect(event.event).toMatchObject({
      kind: "deploy.succeeded",
      project: { name: "web", repository: { host: "github", fullPath: "acme/web" } },
      environment: { name: "production", type: "PRODUCTION" },
      commit: { sha: SHA, ref: "main", message: "release 7" },
      change: { number: 12, url: "https://github.com/acme/web/pull/12" },
      urls: { deploy: "https://web.example.com", logs: "https://ci.example.com/runs/7" },
    });
  });

  it("prints the answer for people and takes the source's whole URL too", async () => {
    const result = await runCli(
      [
        "emit",
        "--source",
        source.url,
        "--kind",
        "deploy.failed",
        "--project",
        "web",
        "--environment",
        "staging",
      ],
      { env: { SHIPCAST_SOURCE_SECRET: SOURCE_SECRET } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^sent: +deploy\.failed web → staging to http:\/\/127\.0\.0\.1:\d+\/api\/sources\/src_/m,
    );
    expect(result.stdout).toMatch(/^answer: +202 \{"id":"evt_/m);
    expect(result.stderr).toMatch(/see it: shipcast events show evt_/);
  });

  it("exits 1 with the server's answer when the secret is not the source's", async () => {
    const result = await runCli(
      [
        "emit",
        "--source",
        source.id,
        "--kind",
        "deploy.started",
        "--project",
        "web",
        "--environment",
        "production",
      ],
      { env: env({ SHIPCAST_SOURCE_SECRET: `whsec_${randomBytes(32).toString("base64")}` }) },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("shipcast: 401 missing or invalid generic signature");
  });

  it("exits 1 for an unknown source", async () => {
    const result = await runCli(
      [
        "emit",
        "--source",
        `src_${"0".repeat(20)}`,
        "--kind",
        "deploy.started",
        "--project",
        "web",
        "--environment",
        "x",
      ],
      { env: env() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("404 no enabled source with this id");
  });

  async function eventsOfSource(): Promise<number> {
    const res = await fetch(`${shipcast.url}/api/v1/events?source_id=${source.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    return ((await res.json()) as { total: number }).total;
  }

  it("exits 2, sending nothing, without a secret or with a flag the format refuses", async () => {
    const before = await eventsOfSource();
    const args = [
      "emit",
      "--source",
      source.id,
      "--kind",
      "deploy.started",
      "--project",
      "web",
      "--environment",
      "x",
    ];
    const noSecret = await runCli(args, { env: { SHIPCAST_URL: shipcast.url } });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("set SHIPCAST_SOURCE_SECRET");

    const plain = await runCli(args, {
      env: env({ SHIPCAST_SOURCE_SECRET: "not-a-whsec-secret" }),
    });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("not a Standard Webhooks secret");

    const bad = await runCli([...args, "--sha", "abc123", "--deploy-url", "ftp://x"], {
      env: env(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--sha: must be a full commit sha");
    expect(bad.stderr).toContain("--deploy-url: must be an http(s) URL");

    const kind = await runCli([...args.slice(0, 4), "deploy.done", ...args.slice(5)], {
      env: env(),
    });
    expect(kind.code).toBe(2);
    expect(await eventsOfSource()).toBe(before);
  });
});

describe("shipcast emit retries", { timeout: 60_000 }, () => {
  it("retries a 503 under the same message id, signing each attempt, and reports the final answer", async () => {
    const receiver = await startHttpReceiver();
    let calls = 0;
    receiver.on("/api/sources/src_retry/webhooks", (_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(503, { "retry-after": "0" }).end('{"error":"busy"}');
      else res.writeHead(202, { "content-type": "application/json" }).end('{"id":"evt_x"}');
    });
    try {
      const result = await runCli(
        [
          "emit",
          "--source",
          "src_retry",
          "--kind",
          "deploy.started",
          "--project",
          "web",
          "--environment",
          "prod",
          "--json",
        ],
        { env: { SHIPCAST_URL: receiver.url, SHIPCAST_SOURCE_SECRET: SOURCE_SECRET } },
      );
      expect(result.code, result.stderr).toBe(0);
      const attempts = receiver.to("/api/sources/src_retry/webhooks");
      expect(attempts).toHaveLength(2);
      const ids = attempts.map((a) => a.headers["webhook-id"]);
      expect(ids[0]).toBe(ids[1]);
      expect(ids[0]).toBe(json<EmitResult>(result).message_id);
      const verifier = new Webhook(SOURCE_SECRET);
      for (const attempt of attempts) {
        expect(() =>
          verifier.verify(attempt.body, attempt.headers as Record<string, string>),
        ).not.toThrow();
      }
    } finally {
      await receiver.close();
    }
  });
});
