import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  countDeliveriesByStatus,
  eventOrder,
  insertDeliveries,
} from "../../src/store/deliveries-repository.js";
import { insertSystemEvent } from "../../src/store/events-repository.js";
import { ENGINES } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { parseExposition, sampleValue } from "../helpers/prometheus-text.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

const METRICS_TOKEN = "metrics-test-token-0123456789";
const deploymentStatus = JSON.stringify(githubExamplesOf("deployment_status")[0]);

async function scrape(app: TestShipcast) {
  const res = await fetch(`${app.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

function postGithub(app: TestShipcast, headers: Record<string, string>) {
  return fetch(`${app.url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "deployment_status",
      ...headers,
    },
    body: deploymentStatus,
  });
}

describe.each(ENGINES)("GET /metrics on %s", (engine) => {
  let app: TestShipcast | undefined;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>> | undefined;
  afterEach(async () => {
    await app?.close();
    await receiver?.close();
    app = receiver = undefined;
  });

  it("counts what happened to a known sequence of requests and deliveries", async () => {
    receiver = await startHttpReceiver();
    let calls = 0;
    receiver.on("/hook", (_req, res) => {
      calls++;
      res.statusCode = calls === 1 ? 500 : 200;
      res.end(calls === 1 ? "down" : "ok");
    });
    app = await startTestShipcast(
      engine,
      { METRICS_TOKEN, DELIVERY_RETRY_SCHEDULE: "100ms,100ms" },
      {
        routing: `targets:\n  hook: { kind: webhook, url: "${receiver.url}/hook" }\nroutes:\n  - notify: [hook]\n`,
      },
    );
    const delivery = randomUUID();
    const signed = { "x-hub-signature-256": githubSignature(SECRETS.github, deploymentStatus) };
    expect((await postGithub(app, { ...signed, "x-github-delivery": delivery })).status).toBe(202);
    expect((await postGithub(app, { ...signed, "x-github-delivery": delivery })).status).toBe(202);
    expect((await postGithub(app, {})).status).toBe(401);
    const wrong = githubSignature("not-the-secret", deploymentStatus);
    expect((await postGithub(app, { "x-hub-signature-256": wrong })).status).toBe(401);
    const db = app.shipcast.store.db;
    await eventually(async () =>
      (await countDeliveriesByStatus(db)).succeeded === 1 ? true : undefined,
    );
    expect(calls).toBe(2);

    const metrics = await scrape(app);
    const received = (labels: Record<string, string>) =>
      sampleValue(metrics, "shipcast_events_received_total", { source: "github", ...labels });
    expect(received({ outcome: "accepted" })).toBe(1);
    expect(received({ outcome: "duplicate" })).toBe(1);
    expect(received({ outcome: "rejected", reason: "missing_signature" })).toBe(1);
    expect(received({ outcome: "rejected", reason: "invalid_signature" })).toBe(1);
    expect(
      sampleValue(metrics, "shipcast_events_received_total", {
        source: "gitlab",
        outcome: "accepted",
      }),
    ).toBe(0);
    expect(
      sampleValue(metrics, "shipcast_events_processed_total", {
        source: "github",
        outcome: "processed",
      }),
    ).toBe(1);
    const webhook = (outcome: string) => ({ kind: "webhook", outcome });
    expect(sampleValue(metrics, "shipcast_delivery_attempts_total", webhook("retry"))).toBe(1);
    expect(sampleValue(metrics, "shipcast_delivery_attempts_total", webhook("succeeded"))).toBe(1);
    expect(sampleValue(metrics, "shipcast_deliveries_total", webhook("succeeded"))).toBe(1);
    expect(sampleValue(metrics, "shipcast_deliveries_total", webhook("failed"))).toBe(0);
    expect(
      sampleValue(metrics, "shipcast_delivery_attempt_duration_seconds_count", { kind: "webhook" }),
    ).toBe(2);
    expect(
      sampleValue(metrics, "shipcast_delivery_attempt_duration_seconds_sum", { kind: "webhook" }),
    ).toBeGreaterThan(0);
    expect(metrics.get("shipcast_delivery_attempt_duration_seconds")?.type).toBe("histogram");
    expect(sampleValue(metrics, "shipcast_deliveries_pending", { kind: "webhook" })).toBe(0);
    expect(sampleValue(metrics, "shipcast_deliveries_due", { kind: "webhook" })).toBe(0);
    expect(
      sampleValue(metrics, "shipcast_deliveries_oldest_due_age_seconds", { kind: "webhook" }),
    ).toBe(0);
    expect(sampleValue(metrics, "shipcast_events_pending")).toBe(0);
    expect(sampleValue(metrics, "shipcast_store_up")).toBe(1);
    expect(sampleValue(metrics, "shipcast_info", { version: "0.1.0", engine })).toBe(1);
    // The default process metrics.
    expect(metrics.get("process_cpu_user_seconds_total")?.type).toBe("counter");
    expect(metrics.get("nodejs_heap_size_used_bytes")?.type).toBe("gauge");

    // A resend through the API counts like any attempt, once it is on record.
    const [finished] = await db.selectFrom("deliveries").select("id").execute();
    const resent = await fetch(`${app.url}/api/v1/deliveries/${finished?.id}/redeliver`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}` },
    });
    expect(resent.status).toBe(200);
    expect(calls).toBe(3);
    const after = await scrape(app);
    expect(sampleValue(after, "shipcast_delivery_attempts_total", webhook("succeeded"))).toBe(2);
    expect(
      sampleValue(after, "shipcast_delivery_attempt_duration_seconds_count", { kind: "webhook" }),
    ).toBe(3);
    expect(sampleValue(after, "shipcast_deliveries_total", webhook("succeeded"))).toBe(2);
  });

  it("reads the queues and the notifications from the store", async () => {
    app = await startTestShipcast(engine, {
      METRICS_TOKEN,
      SHIPCAST_WORKERS: "false",
    });
    // Workers off: what arrives stays pending.
    const body = deploymentStatus;
    const signed = { "x-hub-signature-256": githubSignature(SECRETS.github, body) };
    expect((await postGithub(app, { ...signed, "x-github-delivery": randomUUID() })).status).toBe(
      202,
    );
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    await app.shipcast.store.db.transaction().execute(async (trx) => {
      const id = await insertSystemEvent(trx, {
        eventName: "deploy.succeeded",
        dedupeKey: randomUUID(),
        normalized: "{}",
        now: minuteAgo,
      });
      const target = { target: "hook", kind: "webhook" };
      await insertDeliveries(
        trx,
        id,
        eventOrder(minuteAgo, id),
        [{ ...target, subject: "a" }],
        minuteAgo,
      );
      await insertDeliveries(
        trx,
        id,
        eventOrder(minuteAgo, id),
        [{ ...target, subject: "b" }],
        inAnHour,
      );
    });
    const api = (path: string, payload: unknown) =>
      fetch(`${app?.url}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
    const hook = { kind: "webhook", url: "http://127.0.0.1:9/hook" };
    expect((await api("/notifications", hook)).status).toBe(201);
    expect((await api("/notifications", { ...hook, enabled: false })).status).toBe(201);

    const metrics = await scrape(app);
    expect(sampleValue(metrics, "shipcast_events_pending")).toBe(1);
    expect(sampleValue(metrics, "shipcast_deliveries_pending", { kind: "webhook" })).toBe(2);
    expect(sampleValue(metrics, "shipcast_deliveries_due", { kind: "webhook" })).toBe(1);
    // Due a minute ago (generous bound above: the test may be slow).
    const age = sampleValue(metrics, "shipcast_deliveries_oldest_due_age_seconds", {
      kind: "webhook",
    });
    expect(age).toBeGreaterThanOrEqual(59);
    expect(age).toBeLessThan(600);
    expect(sampleValue(metrics, "shipcast_deliveries_pending", { kind: "slack" })).toBe(0);
    expect(sampleValue(metrics, "shipcast_notifications", { state: "active" })).toBe(1);
    expect(sampleValue(metrics, "shipcast_notifications", { state: "disabled" })).toBe(1);
    expect(sampleValue(metrics, "shipcast_notifications", { state: "paused" })).toBe(0);
  });
});

describe("who may read /metrics", () => {
  let app: TestShipcast | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("answers 401 without the token or with a wrong one, and 200 with it", async () => {
    app = await startTestShipcast("sqlite", { METRICS_TOKEN });
    const none = await fetch(`${app.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const wrong = await fetch(`${app.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    const admin = await fetch(`${app.url}/metrics`, {
      headers: { authorization: `Bearer ${SECRETS.admin}` },
    });
    expect(admin.status).toBe(401);
    const right = await fetch(`${app.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.status).toBe(200);
  });

  it("is off (404) while METRICS_TOKEN is unset", async () => {
    app = await startTestShipcast("sqlite");
    const res = await fetch(`${app.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(404);
  });

  it("keeps the counters of two Shipcasts in one process apart", async () => {
    app = await startTestShipcast("sqlite", { METRICS_TOKEN });
    const other = await startTestShipcast("sqlite", { METRICS_TOKEN });
    try {
      expect((await postGithub(other, {})).status).toBe(401);
      const mine = await scrape(app);
      const theirs = await scrape(other);
      const refused = { source: "github", outcome: "rejected", reason: "missing_signature" };
      expect(sampleValue(mine, "shipcast_events_received_total", refused)).toBeUndefined();
      expect(sampleValue(theirs, "shipcast_events_received_total", refused)).toBe(1);
    } finally {
      await other.close();
    }
  });
});
