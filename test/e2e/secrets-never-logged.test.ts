import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerAuthenticationResponse } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";

/** Every kind of secret Shipcast holds, each a value that appears nowhere else. */
const SECRET = {
  github: "sx-github-webhook-secret-1f0e",
  gitlab: "sx-gitlab-token-2a9c",
  netlify: "sx-netlify-jws-secret-3b8d",
  admin: "sx-admin-token-4c7e0123456789",
  metrics: "sx-metrics-token-5d6f0123456789",
  encryptionKey: Buffer.alloc(32, 7).toString("base64"),
  smtpPassword: "sx-smtp-password-6e5a",
  slackPath: "sxSlackPath7f4b",
  urlPassword: "sx-url-password-8a3c",
  hookSecret: "sx-webhook-signing-secret-9b2d",
  headerValue: "sx-custom-header-value-0c1e",
  apiNotificationSecret: "sx-api-webhook-secret-1d0f",
  apiHeaderValue: "sx-api-header-value-2e9a",
  apiSlackPath: "sxApiSlackPath3f8b",
};

/** A port that refuses connections: it was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("secrets in the log", { timeout: 120_000 }, () => {
  let dir: string | undefined;
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await running?.stop();
    for (const close of closers.splice(0)) await close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    running = database = dir = undefined;
  });

  it("never appear in any line, whatever is delivered, refused or failed", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-secrets-"));
    database = await createTestDatabase("sqlite");
    const receiver = await startHttpReceiver();
    closers.push(receiver.close);
    // Failing answers put error texts in the log; some echo what they were sent.
    receiver.on(`/services/T000/B000/${SECRET.slackPath}`, (req, res) => {
      res.statusCode = 500;
      res.end(`failed for ${req.path}`);
    });
    receiver.on("/hook", (req, res) => {
      res.statusCode = 400;
      res.end(`refused ${JSON.stringify(req.headers)}`);
    });
    // A careless SMTP server that repeats the credentials it refuses.
    const smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onAuth(auth, _session, callback: (e?: Error, r?: SMTPServerAuthenticationResponse) => void) {
        callback(
          Object.assign(new Error(`Invalid login ${auth.username}/${auth.password}`), {
            responseCode: 535,
          }),
        );
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    const refused = await closedPort();

    const routing = join(dir, "shipcast.yml");
    writeFileSync(
      routing,
      `targets:
  chat: { kind: slack, url: "${receiver.url}/services/T000/B000/${SECRET.slackPath}" }
  chat-down: { kind: slack, url: "http://127.0.0.1:${refused}/services/T000/B000/${SECRET.slackPath}" }
  hook:
    kind: webhook
    url: "http://shipcast:${SECRET.urlPassword}@${receiver.url.slice("http://".length)}/hook"
    secret: "${SECRET.hookSecret}"
    headers: { X-Api-Key: "${SECRET.headerValue}" }
  hook-down:
    kind: webhook
    url: "http://shipcast:${SECRET.urlPassword}@127.0.0.1:${refused}/hook"
    headers: { X-Api-Key: "${SECRET.headerValue}" }
  mail: { kind: email, to: [ops@example.com] }
routes:
  - notify: [chat, chat-down, hook, hook-down, mail]
`,
    );
    running = await spawnShipcast(
      {
        DATABASE_URL: database.url,
        LOG_FORMAT: "json",
        LOG_LEVEL: "debug",
        SHIPCAST_CONFIG: routing,
        WEBHOOK_SECRET: SECRET.github,
        GITLAB_WEBHOOK_SECRET: SECRET.gitlab,
        NETLIFY_JWS_SECRET: SECRET.netlify,
        SHIPCAST_ADMIN_TOKEN: SECRET.admin,
        SHIPCAST_ENCRYPTION_KEY: SECRET.encryptionKey,
        METRICS_TOKEN: SECRET.metrics,
        SMTP_URL: `smtp://shipcast:${SECRET.smtpPassword}@127.0.0.1:${smtpPort}`,
        DELIVERY_RETRY_SCHEDULE: "50ms",
      },
      dir,
    );
    const base = running.url;
    const admin = { authorization: `Bearer ${SECRET.admin}`, "content-type": "application/json" };

    // Notifications holding secrets, created through the API; an API token, used.
    const created = await Promise.all([
      fetch(`${base}/api/v1/notifications`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({
          kind: "webhook",
          url: `http://shipcast:${SECRET.urlPassword}@127.0.0.1:${refused}/api-hook`,
          secret: SECRET.apiNotificationSecret,
          headers: { "X-Api-Key": SECRET.apiHeaderValue },
        }),
      }),
      fetch(`${base}/api/v1/notifications`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({
          kind: "slack",
          url: `${receiver.url}/services/T000/B000/${SECRET.apiSlackPath}`,
        }),
      }),
    ]);
    for (const res of created) expect(res.status, await res.clone().text()).toBe(201);
    const tokenRes = await fetch(`${base}/api/v1/tokens`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "dashboard", scope: "write" }),
    });
    const { token } = (await tokenRes.json()) as { token: string };
    expect(token).toMatch(/^shc_/);
    const asToken = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/api/v1/events`, { headers: asToken })).status).toBe(200);
    expect(
      (await fetch(`${base}/api/v1/notifications/ntf_nonexistent`, { headers: asToken })).status,
    ).toBe(404);
    const metrics = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${SECRET.metrics}` },
    });
    expect(metrics.status).toBe(200);

    // Signed deliveries from every source.
    const github = JSON.stringify(githubExamplesOf("deployment_status")[0]);
    const gh = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "deployment_status",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(SECRET.github, github),
      },
      body: github,
    });
    expect(gh.status).toBe(202);
    const gitlab = fixtureText("gitlab/deployment.json");
    const gl = await fetch(`${base}/api/gitlab/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitlab-event": "Deployment Hook",
        "x-gitlab-token": SECRET.gitlab,
      },
      body: gitlab,
    });
    expect(gl.status).toBe(202);
    const netlify = fixtureText("netlify/deploy_failed.deploy-preview.json");
    const nf = await fetch(`${base}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-netlify-event": "deploy_failed",
        "x-webhook-signature": await netlifySignature(SECRET.netlify, netlify),
      },
      body: netlify,
    });
    expect(nf.status).toBe(202);
    // And refused ones: a body that does not match its signature, a token that is not the secret.
    const mismatch = await fetch(`${base}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-webhook-signature": await netlifySignature(SECRET.netlify, "{}"),
      },
      body: netlify,
    });
    expect(mismatch.status).toBe(401);

    // Wait until every attempt failed for good (one retry each) and every mail was refused.
    await eventually(() => {
      const output = running?.output() ?? "";
      const gaveUp = output.match(/gave up after attempt/g)?.length ?? 0;
      return gaveUp >= 3 * 5 && /to mail \(email\)/.test(output) ? true : undefined;
    }, 60_000);

    const log = running.output();
    // The log did say what happened (the test is not passing on an empty log).
    expect(log).toMatch(/to hook \(webhook\): gave up after attempt 1 \(400, /);
    expect(log).toMatch(/to chat-down \(slack\): attempt 1 failed/);
    expect(log).toMatch(/to mail \(email\): gave up/);
    expect(log).toMatch(/netlify webhook 401: X-Webhook-Signature does not match the body/);
    for (const [name, value] of Object.entries({ ...SECRET, apiToken: token })) {
      expect(log.includes(value), `${name} appears in the log`).toBe(false);
    }
    // Nor the signatures of the accepted deliveries.
    expect(log).not.toContain(githubSignature(SECRET.github, github).slice("sha256=".length));
  });
});
