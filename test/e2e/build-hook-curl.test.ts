/**
 * Build hooks end to end, the way they are used: a real `curl -X POST -d '{}' <url>` process,
 * then the build started by the delivery engine — a `workflow_dispatch` at a GitHub stand-in and
 * a pipeline at a GitLab stand-in (strict nock), and a signed POST at a real receiver from a real
 * Shipcast process, its signatures checked with independent implementations.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { verify as verifyHubSignature } from "@octokit/webhooks-methods";
import nock from "nock";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { useStrictNock } from "../helpers/strict-nock.js";

const run = promisify(execFile);
const GITHUB_API = "https://api.github.com";
const GITLAB_URL = "https://gitlab.example.com";
const GITLAB_TOKEN = "glpat-e2e-api-token-0123456789";
const TRIGGER_TOKEN = "glptt-e2e-trigger-token-0123456789";
const KEY = Buffer.alloc(32, 5).toString("base64");
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** `curl -X POST -d '{}' <url>` as a real process: the status line and the body. */
async function curl(url: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", [
    "-sS",
    "-X",
    "POST",
    "-d",
    "{}",
    "-w",
    "\n%{http_code}",
    url,
  ]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

describe.each(ENGINES)("a build hook from curl to GitHub and GitLab on %s", (engine) => {
  let app: TestShipcast;
  let slack: Awaited<ReturnType<typeof startHttpReceiver>>;
  useStrictNock({ loopback: true });
  const admin = { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" };

  async function createHook(body: unknown): Promise<{ id: string; url: string }> {
    const res = await fetch(`${app.url}/api/v1/build_hooks`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; url: string };
  }

  async function buildDelivery(hookId: string) {
    return eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/build_hooks/${hookId}/triggers`, {
        headers: admin,
      });
      const page = (await res.json()) as {
        items: Array<{ id: string; delivery: { status: string; attempts: number } | null }>;
      };
      const delivery = page.items[0]?.delivery;
      return delivery && delivery.status !== "pending"
        ? { ...delivery, trigger: page.items[0] }
        : undefined;
    }, 20_000);
  }

  beforeAll(async () => {
    slack = await startHttpReceiver();
    app = await startTestShipcast(
      engine,
      {
        APP_ID: "1",
        PRIVATE_KEY: privateKey,
        GITLAB_URL,
        GITLAB_TOKEN,
        SHIPCAST_ENCRYPTION_KEY: KEY,
        DELIVERY_RETRY_SCHEDULE: "50ms,50ms",
      },
      {
        routing: `
targets:
  builds-slack: { kind: slack, url: "${slack.url}/builds" }
routes:
  - events: [build.requested]
    notify: [builds-slack]
`,
      },
    );
  });
  afterAll(async () => {
    await app?.close();
    await slack?.close();
  });

  it("starts the workflow with workflow_dispatch, and says so in Slack", async () => {
    const hook = await createHook({
      title: "Nightly",
      target: {
        type: "github_workflow",
        repository: "acme/web",
        workflow: "deploy.yml",
        ref: "main",
        inputs: { environment: "production" },
      },
    });
    let dispatched: unknown;
    const api = nock(GITHUB_API);
    api.get("/repos/acme/web/installation").reply(200, { id: 99 });
    api
      .post("/app/installations/99/access_tokens")
      .reply(201, { token: "ghs_e2einstallationtoken0000", expires_at: "2099-01-01T00:00:00Z" });
    api
      .post("/repos/acme/web/actions/workflows/deploy.yml/dispatches", (body) => {
        dispatched = body;
        return true;
      })
      .matchHeader("authorization", "token ghs_e2einstallationtoken0000")
      .reply(204);

    const answer = await curl(hook.url);
    expect(answer.status).toBe(202);
    const { id } = JSON.parse(answer.body) as { id: string };

    const delivery = await buildDelivery(hook.id);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, trigger: { id } });
    expect(dispatched).toEqual({ ref: "main", inputs: { environment: "production" } });
    const message = await eventually(() => slack.to("/builds").at(-1));
    expect(JSON.parse(message.body).text).toBe("🔨 Build requested by hook Nightly for web@main");
  });

  it("starts a pipeline with the hook's trigger token, and another as GITLAB_TOKEN's user", async () => {
    const triggered = await createHook({
      title: "Deploy web",
      target: {
        type: "gitlab_pipeline",
        project: "group/web",
        ref: "main",
        variables: { DEPLOY_ENV: "production" },
        trigger_token: TRIGGER_TOKEN,
      },
    });
    const byApi = await createHook({
      title: "Deploy docs",
      target: { type: "gitlab_pipeline", project: 4242, ref: "release" },
    });
    let form: Record<string, string> = {};
    let created: unknown;
    const gitlab = nock(GITLAB_URL);
    gitlab
      .post("/api/v4/projects/group%2Fweb/trigger/pipeline", (body: string) => {
        form = Object.fromEntries(new URLSearchParams(body));
        return true;
      })
      .reply(201, { id: 501, status: "created" });
    gitlab
      .post("/api/v4/projects/4242/pipeline", (body) => {
        created = body;
        return true;
      })
      .matchHeader("private-token", GITLAB_TOKEN)
      .reply(201, { id: 502, status: "created" });

    expect((await curl(triggered.url)).status).toBe(202);
    expect((await curl(byApi.url)).status).toBe(202);
    expect(await buildDelivery(triggered.id)).toMatchObject({ status: "succeeded" });
    expect(await buildDelivery(byApi.id)).toMatchObject({ status: "succeeded" });
    expect(form).toEqual({
      token: TRIGGER_TOKEN,
      ref: "main",
      "variables[DEPLOY_ENV]": "production",
    });
    expect(created).toEqual({ ref: "release", variables: [] });

    // The delivery log has the request and the answer, and never the token.
    const deliveries = await fetch(`${app.url}/api/v1/deliveries?target=${triggered.id}`, {
      headers: admin,
    });
    const [summary] = ((await deliveries.json()) as { items: Array<{ id: string }> }).items;
    const detail = await fetch(`${app.url}/api/v1/deliveries/${summary?.id}`, { headers: admin });
    const text = await detail.text();
    expect(text).toContain("trigger/pipeline");
    expect(text).toContain('\\"id\\":501');
    expect(text).not.toContain(TRIGGER_TOKEN);
  });
});

describe("a build hook from curl to a URL, in a real Shipcast process", () => {
  let shipcast: ChildShipcast | undefined;
  let database: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  let cwd: string;
  const HMAC_SECRET = "e2e-hmac-secret-0123456789";
  const WHSEC = `whsec_${Buffer.from("e2e-standard-webhooks-key-0123").toString("base64")}`;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    database = await createTestDatabase("sqlite");
    cwd = mkdtempSync(join(tmpdir(), "shipcast-hooks-"));
    shipcast = await spawnShipcast(
      {
        DATABASE_URL: database.url,
        SHIPCAST_ADMIN_TOKEN: SECRETS.admin,
        SHIPCAST_ENCRYPTION_KEY: KEY,
      },
      cwd,
    );
  }, 30_000);
  afterAll(async () => {
    await shipcast?.stop();
    await receiver?.close();
    await database?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("POSTs the signed build.requested event, verifiable by GitHub's and Standard Webhooks' own code", async () => {
    const base = shipcast?.url as string;
    const res = await fetch(`${base}/api/v1/build_hooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({
        title: "Jenkins",
        target: {
          type: "url",
          url: `${receiver.url}/jenkins/build`,
          ref: "main",
          secret: HMAC_SECRET,
          standard_webhooks_secret: WHSEC,
        },
      }),
    });
    expect(res.status).toBe(201);
    const hook = (await res.json()) as { id: string; url: string };

    const answer = await curl(`${hook.url}?trigger_title=From%20curl`);
    expect(answer.status).toBe(202);
    const { id } = JSON.parse(answer.body) as { id: string };

    const sent = await eventually(() => receiver.to("/jenkins/build")[0], 20_000);
    expect(
      await verifyHubSignature(HMAC_SECRET, sent.body, String(sent.headers["x-hub-signature-256"])),
    ).toBe(true);
    const verified = new Webhook(WHSEC).verify(sent.body, {
      "webhook-id": String(sent.headers["webhook-id"]),
      "webhook-timestamp": String(sent.headers["webhook-timestamp"]),
      "webhook-signature": String(sent.headers["webhook-signature"]),
    });
    expect(verified).toMatchObject({
      id,
      kind: "build.requested",
      build: { hook: { id: hook.id, title: "Jenkins" }, ref: "main", title: "From curl" },
    });
    expect(sent.headers["x-shipcast-event"]).toBe("build.requested");
    expect(sent.body).not.toContain(HMAC_SECRET);
    expect(shipcast?.output()).not.toContain(hook.url.split("/build_hooks/")[1]);
  });
});
