import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

const deploymentStatus = JSON.stringify(githubExamplesOf("deployment_status")[0]);
const ADMIN = SECRETS.admin;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Every JSON line a process printed; a line that is not JSON fails the test. */
function jsonLines(output: string): LogLine[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

describe("the log of a running Shipcast", { timeout: 120_000 }, () => {
  let dir: string | undefined;
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>> | undefined;
  afterEach(async () => {
    await running?.stop();
    await receiver?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    running = receiver = database = dir = undefined;
  });

  it("says what became of each request, event, attempt and notification, as JSON lines", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-logs-"));
    database = await createTestDatabase("sqlite");
    receiver = await startHttpReceiver();
    let okCalls = 0;
    receiver.on("/ok", (_req, res) => {
      okCalls++;
      res.statusCode = okCalls === 1 ? 500 : 200;
      res.end(okCalls === 1 ? "down for a moment" : "ok");
    });
    receiver.on("/bad", (_req, res) => {
      res.statusCode = 400;
      res.end("no such hook");
    });
    receiver.on("/flaky", (_req, res) => {
      res.statusCode = 503;
      res.end("overloaded");
    });
    receiver.on("/gone", (_req, res) => {
      res.statusCode = 410;
      res.end("gone");
    });
    const routing = join(dir, "shipcast.yml");
    writeFileSync(
      routing,
      `targets:
  ok: { kind: webhook, url: "${receiver.url}/ok" }
  bad: { kind: webhook, url: "${receiver.url}/bad" }
routes:
  - notify: [ok, bad]
`,
    );
    running = await spawnShipcast(
      {
        DATABASE_URL: database.url,
        LOG_FORMAT: "json",
        SHIPCAST_CONFIG: routing,
        WEBHOOK_SECRET: SECRETS.github,
        GITLAB_WEBHOOK_SECRET: SECRETS.gitlab,
        SHIPCAST_ADMIN_TOKEN: ADMIN,
        DELIVERY_RETRY_SCHEDULE: "50ms,50ms,50ms,50ms,50ms",
      },
      dir,
    );
    const base = running.url;
    const api = (path: string, body: unknown) =>
      fetch(`${base}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const flaky = (await (
      await api("/notifications", {
        kind: "webhook",
        url: `${receiver.url}/flaky`,
        description: "ops relay",
      })
    ).json()) as { id: string };
    const gone = (await (
      await api("/notifications", { kind: "webhook", url: `${receiver.url}/gone` })
    ).json()) as { id: string };

    const github = (body: string, headers: Record<string, string>) =>
      fetch(`${base}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const delivery = randomUUID();
    const signed = {
      "x-github-event": "deployment_status",
      "x-github-delivery": delivery,
      "x-hub-signature-256": githubSignature(SECRETS.github, deploymentStatus),
    };
    const accepted = (await (await github(deploymentStatus, signed)).json()) as { id: string };
    expect((await github(deploymentStatus, signed)).status).toBe(202);
    const unsignedId = randomUUID();
    expect((await github(deploymentStatus, { "x-github-delivery": unsignedId })).status).toBe(401);
    expect(
      (
        await github(deploymentStatus, {
          "x-hub-signature-256": githubSignature("a-wrong-secret", deploymentStatus),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await github("not json", {
          "x-hub-signature-256": githubSignature(SECRETS.github, "not json"),
        })
      ).status,
    ).toBe(400);
    const text = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(text.status).toBe(415);
    const gitlab = await fetch(`${base}/api/gitlab/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitlab-token": "not-the-token",
        "x-gitlab-event-uuid": "b6ee1ef1-0000-4000-8000-000000000001",
      },
      body: "{}",
    });
    expect(gitlab.status).toBe(401);
    const pushBody = JSON.stringify({ ref: "refs/heads/main" });
    const push = (await (
      await github(pushBody, {
        "x-github-event": "push",
        "x-hub-signature-256": githubSignature(SECRETS.github, pushBody),
      })
    ).json()) as { id: string };

    const find = (test: (line: LogLine) => boolean) =>
      eventually(() => jsonLines(running?.output() ?? "").find(test), 20_000);
    const msg = (pattern: RegExp) => find((line) => pattern.test(line.msg));

    // One line per request: source, status, event id or reason, sender's delivery id, duration.
    const acceptedLine = await msg(/^github webhook 202: accepted/);
    expect(acceptedLine.level).toBe(INFO);
    expect(acceptedLine.msg).toMatch(
      new RegExp(
        `^github webhook 202: accepted as ${accepted.id} \\(delivery ${delivery}, \\d+ ms\\)$`,
      ),
    );
    expect(acceptedLine.webhook).toMatchObject({
      source: "github",
      status: 202,
      outcome: "accepted",
      eventId: accepted.id,
      delivery,
    });
    expect((await msg(/^github webhook 202: duplicate/)).msg).toContain(
      `duplicate of ${accepted.id} (delivery ${delivery}`,
    );
    const missing = await msg(/^github webhook 401: no X-Hub-Signature-256 header/);
    expect(missing.msg).toContain(`(delivery ${unsignedId}, `);
    expect(missing.webhook).toMatchObject({ reason: "missing_signature", outcome: "rejected" });
    expect((await msg(/^github webhook 401: X-Hub-Signature-256 /)).msg).toMatch(
      /X-Hub-Signature-256 does not match the body \(\d+ ms\)$/,
    );
    expect((await msg(/^github webhook 400: /)).msg).toMatch(/body is not valid JSON/);
    expect((await msg(/^github webhook 415: /)).msg).toContain(
      'content type "text/plain" instead of application/json or application/x-www-form-urlencoded',
    );
    expect((await msg(/^gitlab webhook 401: /)).msg).toMatch(
      /^gitlab webhook 401: X-Gitlab-Token does not verify with GITLAB_WEBHOOK_SECRET \(delivery b6ee1ef1-0000-4000-8000-000000000001, \d+ ms\)$/,
    );

    // Events: what each became, and why an ignored one was ignored.
    const processed = await msg(new RegExp(`^event ${accepted.id} \\(github deployment_status\\)`));
    expect(processed.level).toBe(INFO);
    expect(processed.msg).toMatch(/: deploy\.\w+ of .+ to .+, 4 deliveries$/);
    const ignored = await msg(new RegExp(`^event ${push.id} \\(github push\\): ignored, `));
    expect(ignored.msg).toContain('github event "push" is not a deploy event');

    // Attempts: a failure with its retry at warn, the success after it, a give-up at error.
    const retry = await msg(/ to ok \(webhook\): attempt 1 failed/);
    expect(retry.level).toBe(WARN);
    expect(retry.msg).toMatch(
      new RegExp(
        `^delivery dlv_\\w+ of event ${accepted.id} to ok \\(webhook\\): attempt 1 failed \\(500, .+\\) in \\d+ ms; next attempt at \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    const delivered = await msg(/ to ok \(webhook\): delivered/);
    expect(delivered.level).toBe(INFO);
    expect(delivered.msg).toMatch(/: delivered, attempt 2, 200, in \d+ ms$/);
    const gaveUp = await msg(/ to bad \(webhook\): gave up/);
    expect(gaveUp.level).toBe(ERROR);
    expect(gaveUp.msg).toMatch(/gave up after attempt 1 \(400, /);

    // Health changes of the notifications.
    const paused = await msg(
      new RegExp(`^notification ${flaky.id} \\(webhook "ops relay"\\): paused`),
    );
    expect(paused.level).toBe(WARN);
    expect(paused.msg).toContain("after 4 consecutive failed deliveries");
    const disabled = await msg(new RegExp(`^notification ${gone.id} \\(webhook\\): disabled`));
    expect(disabled.level).toBe(WARN);

    // The start-up summary: one record.
    const startup = await msg(/^Shipcast \S+ listening on /);
    expect(startup.msg).toContain("\n  store: sqlite (");
    expect(startup.msg).toContain("\n  source github: active at POST /api/github/webhooks");
    expect(startup.msg).toContain("\n  routing file ");
    expect(startup.msg).toContain(": 2 targets, 1 routes");
    expect(startup.startup).toMatchObject({ store: "sqlite", sources: ["github", "gitlab"] });
  });

  it("writes lines for people with LOG_FORMAT=pretty, without colours when not on a terminal", async () => {
    database = await createTestDatabase("sqlite");
    running = await spawnShipcast({
      DATABASE_URL: database.url,
      LOG_FORMAT: "pretty",
      WEBHOOK_SECRET: SECRETS.github,
    });
    const base = running.url;
    await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-delivery": "d-1" },
      body: "{}",
    });
    const line = await eventually(() =>
      running
        ?.output()
        .split("\n")
        .find((l) => l.includes("github webhook 401")),
    );
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: github webhook 401: no X-Hub-Signature-256 header \(delivery d-1, \d+ ms\)$/,
    );
    const output = running.output();
    expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Shipcast \S+ starting on /m);
    expect(output).toMatch(/\n {2}source github: active at POST \/api\/github\/webhooks\n/);
    // Neither JSON nor colour codes.
    expect(output).not.toContain('{"level"');
    expect(output).not.toContain("\u001b[");
  });

  it("writes JSON into a pipe when LOG_FORMAT is unset, and refuses a LOG_FORMAT it does not know", async () => {
    database = await createTestDatabase("sqlite");
    running = await spawnShipcast({ DATABASE_URL: database.url });
    expect(jsonLines(running.output()).some((line) => /listening on/.test(line.msg))).toBe(true);
    await running.stop();
    running = undefined;
    await expect(
      spawnShipcast({ DATABASE_URL: database.url, LOG_FORMAT: "fancy" }),
    ).rejects.toThrow(/LOG_FORMAT: expected pretty or json, got "fancy"/);
  });
});
