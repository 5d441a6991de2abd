import { readFileSync } from "node:fs";
import { verify as verifyHubSignature } from "@octokit/webhooks-methods";
import { sql } from "kysely";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  deliveryDetailSchema,
  deliverySummarySchema,
  listOf,
  manualAttemptSchema,
} from "../../src/api/api-schemas.js";
import { notificationViewSchema } from "../../src/services/notifications/notification-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";

const KEY = Buffer.alloc(32, 7).toString("base64");
const HMAC_SECRET = "hmac-secret-never-in-clear-0123";
const JWS_SECRET = "jws-secret-never-in-clear-4567";
const WHSEC = `whsec_${Buffer.from("standard-webhooks-key-never-clear!").toString("base64")}`;
const HEADER_SECRET = "Bearer header-value-never-in-clear-89";
const SLACK_TOKEN_PATH = "T0000/B0000/slacktokennevercleartext0000";

const succeeded = fixtureText("netlify/deploy_created.deploy-preview.json");

type Receiver = Awaited<ReturnType<typeof startHttpReceiver>>;

describe.each(ENGINES)("notifications API on %s", (engine) => {
  let app: TestShipcast;
  let receiver: Receiver;
  const admin = { authorization: `Bearer ${SECRETS.admin}` };

  async function api(method: string, path: string, body?: unknown, headers = admin) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text === "" ? undefined : JSON.parse(text),
    };
  }

  async function postNetlify(body: string) {
    const res = await fetch(`${app.url}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-netlify-event": "deploy_created",
        "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
      },
      body,
    });
    expect(res.status).toBe(202);
  }

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    receiver.on("/fail", (_req, res) => res.writeHead(500).end("boom"));
    receiver.on("/gone", (_req, res) => res.writeHead(410).end("gone"));
    receiver.on("/moved", (_req, res) =>
      res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end(),
    );
    app = await startTestShipcast(
      engine,
      {
        SHIPCAST_ENCRYPTION_KEY: KEY,
        DELIVERY_RETRY_SCHEDULE: "20ms,20ms,20ms,20ms,20ms,20ms",
      },
      {
        routing: `
targets:
  ops-alerts: { kind: slack, url: "${receiver.url}/alerts" }
alerts: [ops-alerts]
`,
      },
    );
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  afterEach(() => {
    receiver.requests.length = 0;
  });

  it("creates a signed webhook, shows secrets only as flags, and delivers matching events to it", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      description: "Deploy log",
      url: `${receiver.url}/hook`,
      events: ["deploy.succeeded"],
      environment_types: ["preview"],
      project_names: ["DAZZLING-*"],
      headers: { Authorization: HEADER_SECRET, "X-Team": "web" },
      secret: HMAC_SECRET,
      jws_secret: JWS_SECRET,
      standard_webhooks_secret: WHSEC,
    });
    expect(created.status).toBe(201);
    const view = notificationViewSchema.parse(created.body);
    expect(view).toMatchObject({
      kind: "webhook",
      enabled: true,
      state: "active",
      read_only: false,
      secret_set: true,
      jws_secret_set: true,
      standard_webhooks_secret_set: true,
      ssl_verification: true,
      headers: { Authorization: "[redacted]", "X-Team": "[redacted]" },
      environment_types: ["PREVIEW"],
      consecutive_failures: 0,
    });
    expect(view.id).toMatch(/^ntf_[0-9a-z]{16}$/);
    expect(created.headers.get("location")).toBe(`/api/v1/notifications/${view.id}`);
    const text = JSON.stringify(created.body);
    for (const secret of [HMAC_SECRET, JWS_SECRET, WHSEC, HEADER_SECRET]) {
      expect(text).not.toContain(secret);
    }

    await postNetlify(succeeded);
    const [request] = await eventually(() => {
      const got = receiver.to("/hook");
      return got.length > 0 ? got : undefined;
    });
    if (!request) throw new Error("no request");
    expect(request.headers["x-shipcast-event"]).toBe("deploy.succeeded");
    expect(request.headers["x-team"]).toBe("web");
    expect(request.headers.authorization).toBe(HEADER_SECRET);
    expect(request.headers["user-agent"]).toMatch(/^Shipcast\/\d/);
    expect(
      await verifyHubSignature(
        HMAC_SECRET,
        request.body,
        String(request.headers["x-hub-signature-256"]),
      ),
    ).toBe(true);
    const verified = new Webhook(WHSEC).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    }) as { kind: string; project: { name: string } };
    expect(verified.kind).toBe("deploy.succeeded");
    expect(request.headers["webhook-id"]).toBe(request.headers["x-shipcast-delivery"]);

    // The delivery log: the notification's deliveries, and the attempt with secrets redacted.
    const deliveries = await eventually(async () => {
      const page = await api("GET", `/api/v1/notifications/${view.id}/deliveries`);
      const parsed = listOf(deliverySummarySchema).parse(page.body);
      return parsed.items[0]?.status === "succeeded" ? parsed : undefined;
    });
    const detail = await api("GET", `/api/v1/deliveries/${deliveries.items[0]?.id}`);
    const parsedDetail = deliveryDetailSchema.parse(detail.body);
    const attempt = parsedDetail.attempts[0];
    expect(attempt?.http_status).toBe(200);
    expect(attempt?.request?.headers.authorization).toBe("[redacted]");
    expect(attempt?.request?.headers["x-hub-signature-256"]).toBe("[redacted]");
    expect(attempt?.request?.body).toBe(request.body);
    expect(attempt?.response).toBe("ok");
    for (const secret of [HMAC_SECRET, JWS_SECRET, HEADER_SECRET]) {
      expect(JSON.stringify(detail.body)).not.toContain(secret);
    }
  });

  it("does not deliver events its filters leave out", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `${receiver.url}/production-only`,
      environment_types: ["PRODUCTION"],
    });
    expect(created.status).toBe(201);
    const other = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `${receiver.url}/branch-dev`,
      branches: ["d*"],
    });
    await postNetlify(
      JSON.stringify({
        ...JSON.parse(succeeded),
        id: "filter-check-1",
        updated_at: "2024-01-01T00:00:00Z",
      }),
    );
    await eventually(() => (receiver.to("/branch-dev").length > 0 ? true : undefined));
    expect(receiver.to("/production-only")).toHaveLength(0);
    await api("DELETE", `/api/v1/notifications/${(created.body as { id: string }).id}`);
    await api("DELETE", `/api/v1/notifications/${(other.body as { id: string }).id}`);
  });

  it("keeps every secret out of the database in clear", async () => {
    const slack = await api("POST", "/api/v1/notifications", {
      kind: "slack",
      url: `${receiver.url}/services/${SLACK_TOKEN_PATH}`,
    });
    expect(slack.status).toBe(201);
    expect(slack.body).toMatchObject({ url: `${receiver.url}/[redacted]`, url_set: true });
    const webhook = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `http://alice:url-password-never-clear@127.0.0.1:9/x`,
      secret: HMAC_SECRET,
      headers: { "X-Api-Key": HEADER_SECRET },
    });
    expect(webhook.status).toBe(201);
    expect((webhook.body as { url: string }).url).toBe("http://alice:[redacted]@127.0.0.1:9/x");
    const secrets = [HMAC_SECRET, HEADER_SECRET, SLACK_TOKEN_PATH, "url-password-never-clear"];
    const db = app.shipcast.store.db;
    if (engine === "sqlite") {
      await sql`PRAGMA wal_checkpoint(FULL)`.execute(db);
      const files = await sql<{ file: string }>`PRAGMA database_list`.execute(db);
      const path = files.rows[0]?.file as string;
      const bytes = [path, `${path}-wal`].map((file) => {
        try {
          return readFileSync(file).toString("latin1");
        } catch {
          return "";
        }
      });
      for (const secret of secrets)
        for (const content of bytes) expect(content).not.toContain(secret);
    } else {
      const rows = await db.selectFrom("notifications").selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const secret of secrets) expect(dump).not.toContain(secret);
      expect(dump).toContain("v1.");
    }
    for (const id of [slack.body, webhook.body].map((b) => (b as { id: string }).id)) {
      await api("DELETE", `/api/v1/notifications/${id}`);
    }
  });

  it("answers 422 with every problem by field", async () => {
    const headers = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"]));
    const res = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: "ftp://example.com/",
      events: ["deploy.exploded"],
      headers,
      standard_webhooks_secret: "not-a-whsec",
      surprise: true,
    });
    expect(res.status).toBe(422);
    const fields = (res.body as { problems: Array<{ field: string }> }).problems.map(
      (p) => p.field,
    );
    expect(fields).toEqual(
      expect.arrayContaining(["url", "events", "headers", "standard_webhooks_secret"]),
    );
    const kind = await api("POST", "/api/v1/notifications", { kind: "pager", url: "https://x.y" });
    expect(kind.status).toBe(422);
    const email = await api("POST", "/api/v1/notifications", {
      kind: "email",
      to: ["ops@example.com"],
    });
    expect(email.status).toBe(422);
    expect(JSON.stringify(email.body)).toContain("SMTP_URL");
    const malformed = await fetch(`${app.url}/api/v1/notifications`, {
      method: "POST",
      headers: admin,
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
  });

  it("lists routing-file targets as read-only and refuses to change them", async () => {
    const list = await api("GET", "/api/v1/notifications");
    const parsed = listOf(notificationViewSchema).parse(list.body);
    const fileTarget = parsed.items.find((item) => item.id === "ops-alerts");
    expect(fileTarget).toMatchObject({ read_only: true, source: "file", kind: "slack" });
    expect(JSON.stringify(fileTarget)).not.toContain("/alerts");
    expect(
      (await api("PATCH", "/api/v1/notifications/ops-alerts", { enabled: false })).status,
    ).toBe(409);
    expect((await api("DELETE", "/api/v1/notifications/ops-alerts")).status).toBe(409);
    expect((await api("GET", "/api/v1/notifications/ntf_doesnotexist0000")).status).toBe(404);
  });

  it("sends a test event now and answers the attempt, at most 5 a minute per token", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `${receiver.url}/test-me`,
      secret: HMAC_SECRET,
    });
    const id = (created.body as { id: string }).id;
    // A token of its own, so the limit is not shared with the other tests.
    const token = await api("POST", "/api/v1/tokens", { name: "tester", scope: "write" });
    const auth = { authorization: `Bearer ${(token.body as { token: string }).token}` };
    const test = await api(
      "POST",
      `/api/v1/notifications/${id}/test`,
      { event: "deploy.failed" },
      auth,
    );
    expect(test.status).toBe(200);
    const attempt = manualAttemptSchema.parse(test.body);
    expect(attempt).toMatchObject({ outcome: "succeeded", status: "succeeded", http_status: 200 });
    const [request] = receiver.to("/test-me");
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({
      kind: "deploy.failed",
      project: { name: "shipcast-sample" },
    });
    // Without a body: deploy.succeeded.
    const plain = await api("POST", `/api/v1/notifications/${id}/test`, undefined, auth);
    expect(plain.status).toBe(200);
    expect(JSON.parse(receiver.to("/test-me")[1]?.body ?? "{}").kind).toBe("deploy.succeeded");
    // The test deliveries are in the notification's log.
    const deliveries = await api("GET", `/api/v1/notifications/${id}/deliveries`, undefined, auth);
    expect((deliveries.body as { total: number }).total).toBe(2);
    for (let i = 0; i < 3; i++) {
      expect((await api("POST", `/api/v1/notifications/${id}/test`, {}, auth)).status).toBe(200);
    }
    const limited = await api("POST", `/api/v1/notifications/${id}/test`, {}, auth);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const unknown = await api("POST", `/api/v1/notifications/${id}/test`, { event: "nope" });
    expect(unknown.status).toBe(422);
    await api("DELETE", `/api/v1/notifications/${id}`);
  });

  it("sends a Slack notification's test message to its incoming webhook", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "slack",
      description: "#deploys",
      url: `${receiver.url}/slack/${SLACK_TOKEN_PATH}`,
    });
    const id = (created.body as { id: string }).id;
    const test = await api("POST", `/api/v1/notifications/${id}/test`, { event: "deploy.failed" });
    expect(test.body).toMatchObject({ outcome: "succeeded", http_status: 200 });
    const [message] = receiver.to(`/slack/${SLACK_TOKEN_PATH}`);
    const slack = JSON.parse(message?.body ?? "{}") as { text: string; blocks: unknown[] };
    expect(slack.text).toContain("Deploy failed: shipcast-sample (production)");
    expect(slack.blocks.length).toBeGreaterThan(1);
    expect(JSON.stringify(test.body)).not.toContain(SLACK_TOKEN_PATH);
    await api("DELETE", `/api/v1/notifications/${id}`);
  });

  it("reports a redirect as a failed test attempt without following it", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `${receiver.url}/moved`,
    });
    const id = (created.body as { id: string }).id;
    const test = await api("POST", `/api/v1/notifications/${id}/test`, {});
    expect(test.body).toMatchObject({ outcome: "failed", status: "failed", http_status: 302 });
    expect(receiver.to("/elsewhere")).toHaveLength(0);
    await api("DELETE", `/api/v1/notifications/${id}`);
  });

  it("pauses a failing notification after 4 failures, tells the alerts target, and heals on re-enable", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      description: "Flaky receiver",
      url: `${receiver.url}/fail`,
    });
    const id = (created.body as { id: string }).id;
    await postNetlify(
      JSON.stringify({
        ...JSON.parse(succeeded),
        id: "pause-check-1",
        updated_at: "2024-02-01T00:00:00Z",
      }),
    );
    const paused = await eventually(async () => {
      const view = notificationViewSchema.parse(
        (await api("GET", `/api/v1/notifications/${id}`)).body,
      );
      return view.state === "paused" ? view : undefined;
    });
    expect(paused.consecutive_failures).toBe(4);
    expect(paused.disabled_reason).toMatch(
      /paused for 1 min after 4 consecutive failed deliveries/,
    );
    expect(Date.parse(paused.disabled_until ?? "")).toBeGreaterThan(Date.now() + 50_000);
    expect(paused.state_changes?.[0]).toMatchObject({ state: "paused", actor: "deliveries" });
    // No fifth attempt while paused.
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.to("/fail")).toHaveLength(4);
    // The alerts target heard of it.
    const alert = await eventually(() => receiver.to("/alerts")[0]);
    expect(alert.body).toContain("Notification paused");
    expect(alert.body).toContain(id);

    // Re-enabling resets the counters, records it, and the waiting delivery is due again.
    receiver.on("/fail", (_req, res) => res.end("ok now"));
    const enabled = await api("PATCH", `/api/v1/notifications/${id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ state: "active", consecutive_failures: 0 });
    expect(
      (enabled.body as { state_changes: Array<{ actor: string }> }).state_changes[0]?.actor,
    ).toBe("api");

    // The delivery that waited for the pause goes out at once, with the same delivery id.
    const delivered = await eventually(async () => {
      const list = listOf(deliverySummarySchema).parse(
        (await api("GET", `/api/v1/notifications/${id}/deliveries`)).body,
      );
      return list.items[0]?.status === "succeeded" ? list.items[0] : undefined;
    });
    expect(delivered.attempts).toBe(5);
    expect(receiver.to("/fail")).toHaveLength(5);
    expect(receiver.to("/fail").at(-1)?.headers["x-shipcast-delivery"]).toBe(delivered.id);
    // A resend: the same delivery id again, a new attempt.
    const resent = await api("POST", `/api/v1/deliveries/${delivered.id}/redeliver`);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({
      delivery_id: delivered.id,
      outcome: "succeeded",
      attempt: 6,
    });
    expect(receiver.to("/fail").at(-1)?.headers["x-shipcast-delivery"]).toBe(delivered.id);
    const detail = deliveryDetailSchema.parse(
      (await api("GET", `/api/v1/deliveries/${delivered.id}`)).body,
    );
    expect(detail.attempts.map((a) => a.outcome)).toEqual([
      "retry",
      "retry",
      "retry",
      "retry",
      "succeeded",
      "succeeded",
    ]);
    receiver.on("/fail", (_req, res) => res.writeHead(500).end("boom"));
    await api("DELETE", `/api/v1/notifications/${id}`);
  });

  it("disables a notification at once when the receiver answers 410, and replays its failures once re-enabled", async () => {
    const created = await api("POST", "/api/v1/notifications", {
      kind: "webhook",
      url: `${receiver.url}/gone`,
    });
    const id = (created.body as { id: string }).id;
    const since = new Date(Date.now() - 1000).toISOString();
    await postNetlify(
      JSON.stringify({
        ...JSON.parse(succeeded),
        id: "gone-check-1",
        updated_at: "2024-03-01T00:00:00Z",
      }),
    );
    const disabled = await eventually(async () => {
      const view = notificationViewSchema.parse(
        (await api("GET", `/api/v1/notifications/${id}`)).body,
      );
      return view.state === "disabled" ? view : undefined;
    });
    expect(disabled).toMatchObject({
      enabled: false,
      disabled_reason: "disabled: the receiver answered 410 Gone",
    });
    expect(receiver.to("/gone")).toHaveLength(1);
    const alert = await eventually(() =>
      receiver.to("/alerts").find((r) => r.body.includes("Notification disabled")),
    );
    expect(alert.body).toContain("410");
    // Replay needs the notification enabled.
    expect((await api("POST", `/api/v1/notifications/${id}/replay?since=${since}`)).status).toBe(
      409,
    );
    receiver.on("/gone", (_req, res) => res.end("back"));
    await api("PATCH", `/api/v1/notifications/${id}`, { enabled: true });
    const replay = await api(
      "POST",
      `/api/v1/notifications/${id}/replay?since=${encodeURIComponent(since)}`,
    );
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ requeued: 1 });
    await eventually(() => (receiver.to("/gone").length === 2 ? true : undefined));
    const bad = await api("POST", `/api/v1/notifications/${id}/replay?since=yesterday`);
    expect(bad.status).toBe(400);
    await api("DELETE", `/api/v1/notifications/${id}`);
  });
});

describe.each(ENGINES)("secrets without an encryption key on %s", (engine) => {
  let app: TestShipcast;
  const admin = { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" };

  beforeAll(async () => {
    app = await startTestShipcast(engine, {});
  });
  afterAll(async () => {
    await app?.close();
  });

  it("refuses to store a secret and says how to make a key, but stores notifications without one", async () => {
    const refused = await fetch(`${app.url}/api/v1/notifications`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ kind: "webhook", url: "https://example.com/h", secret: "s3cr3t" }),
    });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { problems: Array<{ field: string; message: string }> };
    expect(body.problems[0]?.field).toBe("secret");
    expect(body.problems[0]?.message).toContain("openssl rand -base64 32");
    const plain = await fetch(`${app.url}/api/v1/notifications`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ kind: "webhook", url: "https://example.com/h" }),
    });
    expect(plain.status).toBe(201);
  });
});

describe.each(ENGINES)("the network guard through the API on %s", (engine) => {
  let app: TestShipcast;
  let receiver: Receiver;
  const admin = { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" };

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    app = await startTestShipcast(engine, { ALLOW_LOCAL_NETWORK: "false" });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it("refuses a test send to a loopback receiver with the reason, and never reaches it", async () => {
    for (const url of [`${receiver.url}/hook`, "http://169.254.169.254/latest/meta-data/"]) {
      const created = await fetch(`${app.url}/api/v1/notifications`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ kind: "webhook", url }),
      });
      const { id } = (await created.json()) as { id: string };
      const test = await fetch(`${app.url}/api/v1/notifications/${id}/test`, {
        method: "POST",
        headers: admin,
        body: "{}",
      });
      const attempt = manualAttemptSchema.parse(await test.json());
      expect(attempt.outcome).toBe("failed");
      expect(attempt.error).toContain("refused by the network guard");
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
