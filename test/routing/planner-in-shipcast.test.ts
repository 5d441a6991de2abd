/**
 * The one planner inside a running Shipcast, with real stores, a real HTTP receiver standing in
 * for Slack, and a strict nock stand-in for GitHub: a repository's `notify` works with the
 * default outputs off, only reaches the targets `repository_targets` allows (the others are
 * skipped deliveries with the reason), and health alerts still reach the `alerts` targets.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deliveryDetailSchema, deliverySummarySchema, listOf } from "../../src/api/api-schemas.js";
import { notificationViewSchema } from "../../src/services/notifications/notification-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { mockRepositoryReady, TEST_PRIVATE_KEY } from "../helpers/github-api-mocks.js";
import { fixtureText } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";
import { useStrictNock } from "../helpers/strict-nock.js";

/** A Netlify deploy of jd-ftf/test's pull request 6 (commit on github.com). */
const deployCreated = fixtureText("netlify/deploy_created.deploy-preview.json");
const admin = { authorization: `Bearer ${SECRETS.admin}` };

type Receiver = Awaited<ReturnType<typeof startHttpReceiver>>;

describe.each(ENGINES)("the one planner in a running Shipcast on %s", (engine) => {
  let app: TestShipcast | undefined;
  let receiver: Receiver;
  useStrictNock({ loopback: true });

  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await receiver.close();
  });

  async function get(path: string): Promise<unknown> {
    const res = await fetch(`${app?.url}${path}`, { headers: admin });
    expect(res.status).toBe(200);
    return res.json();
  }

  async function postNetlify(body: string): Promise<void> {
    const res = await fetch(`${app?.url}/api/netlify/webhooks`, {
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

  /** Every delivery once none is pending, when there are `count`. */
  async function settledDeliveries(count: number) {
    return eventually(async () => {
      const page = listOf(deliverySummarySchema).parse(await get("/api/v1/deliveries"));
      return page.items.length === count && page.items.every((d) => d.status !== "pending")
        ? page.items
        : undefined;
    }, 20_000);
  }

  it("sends a repository's notify targets with the default outputs off, and records the names repository_targets does not allow as skipped", async () => {
    app = await startTestShipcast(
      engine,
      { APP_ID: "1", PRIVATE_KEY: TEST_PRIVATE_KEY },
      {
        routing: `
targets:
  team-chat: { kind: slack, url: "${receiver.url}/team" }
  other-team: { kind: slack, url: "${receiver.url}/other" }
defaults:
  github-status: false
  github-comment: false
repository_targets: [team-chat]
`,
      },
    );
    // GitHub is asked for the installation, a token and the file: no status, no comment.
    mockRepositoryReady("statuses: false\nnotify: [team-chat, other-team]\n");

    await postNetlify(deployCreated);

    const deliveries = await settledDeliveries(3);
    const byTarget = new Map(deliveries.map((d) => [d.target, d]));
    expect(byTarget.get("github-repository-notify")).toMatchObject({
      kind: "github-repository-notify",
      status: "succeeded",
    });
    expect(byTarget.get("team-chat")).toMatchObject({ kind: "slack", status: "succeeded" });
    const reason = 'skipped: target "other-team" is not in repository_targets of shipcast.yml';
    expect(byTarget.get("other-team")).toMatchObject({
      kind: "slack",
      status: "skipped",
      last_error: reason,
    });
    const skipped = deliveryDetailSchema.parse(
      await get(`/api/v1/deliveries/${byTarget.get("other-team")?.id}`),
    );
    expect(skipped.attempts).toEqual([
      expect.objectContaining({ outcome: "skipped", error: reason }),
    ]);
    // All three belong to the one event.
    expect(new Set(deliveries.map((d) => d.event_id)).size).toBe(1);
    expect(receiver.to("/team")).toHaveLength(1);
    expect(JSON.parse(receiver.to("/team")[0]?.body ?? "{}").text).toContain(
      "dazzling-almeida-67ef75",
    );
    expect(receiver.to("/other")).toEqual([]);
  });

  it("still tells the alerts targets when a notification is paused", async () => {
    app = await startTestShipcast(
      engine,
      { DELIVERY_RETRY_SCHEDULE: "20ms,20ms,20ms,20ms,20ms,20ms" },
      {
        routing: `
targets:
  ops-alerts: { kind: slack, url: "${receiver.url}/alerts" }
alerts: [ops-alerts]
`,
      },
    );
    receiver.on("/fail", (_req, res) => res.writeHead(500).end("boom"));
    const created = await fetch(`${app.url}/api/v1/notifications`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ kind: "webhook", description: "Flaky", url: `${receiver.url}/fail` }),
    });
    expect(created.status).toBe(201);
    const { id } = notificationViewSchema.parse(await created.json());

    await postNetlify(deployCreated);

    const alert = await eventually(() => receiver.to("/alerts")[0], 20_000);
    expect(alert.body).toContain("Notification paused");
    expect(alert.body).toContain(id);
    const deliveries = listOf(deliverySummarySchema).parse(
      await get("/api/v1/deliveries?target=ops-alerts"),
    );
    expect(deliveries.items).toEqual([
      expect.objectContaining({ target: "ops-alerts", kind: "slack" }),
    ]);
  });
});
