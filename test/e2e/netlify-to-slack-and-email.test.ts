import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText } from "../helpers/payloads.js";
import { startHttpReceiver, startSmtpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";

const created = fixtureText("netlify/deploy_created.deploy-preview.json");
const failed = fixtureText("netlify/deploy_failed.deploy-preview.json");
/** The `deploy_building` of the created deploy, as Netlify sends it before it is ready. */
const building = JSON.stringify({
  ...JSON.parse(created),
  state: "building",
  updated_at: "2020-01-09T04:30:56.000Z",
});

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
}

describe.each(ENGINES)("Netlify deploys to Slack and email on %s", (engine) => {
  let app: TestShipcast;
  let slack: Awaited<ReturnType<typeof startHttpReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    slack = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    // The flaky channel fails once with a 500, then is rate limited, then accepts.
    let flaky = 0;
    slack.on("/flaky", (_req, res) => {
      flaky++;
      if (flaky === 1) {
        res.writeHead(500).end("internal_error");
      } else if (flaky === 2) {
        res.writeHead(429, { "retry-after": "1" }).end("rate_limited");
      } else {
        res.end("ok");
      }
    });
    slack.on("/gone", (_req, res) => res.writeHead(404).end("channel_not_found"));
    app = await startTestShipcast(
      engine,
      {
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Shipcast <shipcast@example.com>",
        OPS_SLACK: `${slack.url}/ops`,
        DELIVERY_RETRY_SCHEDULE: "100ms,100ms,100ms",
      },
      {
        routing: `
targets:
  ops-slack: { kind: slack, url: "\${OPS_SLACK}/deploys" }
  flaky-slack: { kind: slack, url: "${slack.url}/flaky" }
  gone-slack: { kind: slack, url: "${slack.url}/gone" }
  release-mail: { kind: email, to: [release@example.com, qa@example.com] }
routes:
  - notify: [ops-slack]
  - events: [deploy.failed]
    environments: [PREVIEW]
    projects: ["dazzling-*"]
    branches: ["dev"]
    notify: [release-mail, flaky-slack, gone-slack]
  - events: [deploy.failed]
    branches: ["main"]
    notify: [release-mail]
`,
      },
    );
    for (const [event, body] of [
      ["deploy_building", building],
      ["deploy_created", created],
      ["deploy_failed", failed],
    ] as const) {
      const res = await fetch(`${app.url}/api/netlify/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-netlify-event": event,
          "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
        },
        body,
      });
      expect(res.status).toBe(202);
    }
  });
  afterAll(async () => {
    await app.close();
    await slack.close();
    await smtp.close();
  });

  it("posts every deploy to the catch-all Slack target, in event order, as Block Kit", async () => {
    const posts = await eventually(() => {
      const got = slack.to("/ops/deploys");
      return got.length === 3 ? got : undefined;
    });
    const bodies = posts.map((p) => JSON.parse(p.body) as SlackBody);
    expect(bodies.map((b) => b.blocks[0]?.text?.text)).toEqual([
      "⏳ Deploy started: dazzling-almeida-67ef75 (deploy-preview)",
      "✅ Deploy succeeded: dazzling-almeida-67ef75 (deploy-preview)",
      "❌ Deploy failed: dazzling-almeida-67ef75 (deploy-preview)",
    ]);
    const failure = JSON.stringify(bodies[2]);
    expect(failure).toContain("<https://github.com/jd-ftf/test/pull/6|#6>");
    expect(failure).toContain(
      "<https://github.com/jd-ftf/test/commit/2bf6019eab7035beccc013d641445f9bb1006083|2bf6019>",
    );
    expect(failure).toContain("Build script returned non-zero exit code: 1");
    expect(failure).toContain(
      "https://app.netlify.com/sites/dazzling-almeida-67ef75/deploys/5e16fd8f7a376a1a95d6cf9c",
    );
    expect(bodies[1]?.text).toContain(
      "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com",
    );
    for (const post of posts) {
      expect(post.headers["content-type"]).toBe("application/json");
      expect(post.headers["x-shipcast-delivery"]).toMatch(/^dlv_/);
      expect(post.body).not.toContain("eyJ0eXAiOiJKV1Qi"); // the Netlify log token
    }
  });

  it("emails the failed preview deploy once, with the subject, both parts and the links", async () => {
    const mail = await eventually(() => (smtp.messages.length >= 1 ? smtp.messages : undefined));
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages).toHaveLength(1);
    const [message] = mail;
    expect(message?.subject).toBe(
      "[dazzling-almeida-67ef75] Deploy failed: deploy-preview (dev@2bf6019)",
    );
    expect(message?.to).toEqual(["release@example.com", "qa@example.com"]);
    expect(message?.from).toBe("shipcast@example.com");
    expect(message?.raw).toContain("text/plain");
    expect(message?.raw).toContain("text/html");
    expect(message?.raw).toMatch(/X-Shipcast-Delivery: dlv_/);
    expect(message?.raw).toContain("https://github.com/jd-ftf/test/pull/6");
  });

  it("retries a 500 and a 429 (after its Retry-After) and records every attempt", async () => {
    const delivery = await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?target=flaky-slack`, { headers: auth });
      const page = (await res.json()) as { items: Array<{ id: string; status: string }> };
      return page.items[0]?.status === "succeeded" ? page.items[0] : undefined;
    });
    const detail = (await (
      await fetch(`${app.url}/api/v1/deliveries/${delivery.id}`, { headers: auth })
    ).json()) as {
      attempts: Array<{
        outcome: string;
        http_status: number;
        started_at: string;
        response: string;
      }>;
    };
    expect(detail.attempts.map((a) => [a.outcome, a.http_status])).toEqual([
      ["retry", 500],
      ["retry", 429],
      ["succeeded", 200],
    ]);
    const gap =
      Date.parse(detail.attempts[2]?.started_at ?? "") -
      Date.parse(detail.attempts[1]?.started_at ?? "");
    expect(gap).toBeGreaterThanOrEqual(900);
    // Every attempt went out with the same delivery id.
    expect(new Set(slack.to("/flaky").map((r) => r.headers["x-shipcast-delivery"]))).toEqual(
      new Set([delivery.id]),
    );
  });

  it("ends a delivery to a deleted channel (404 channel_not_found) after one attempt", async () => {
    const delivery = await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?target=gone-slack&status=failed`, {
        headers: auth,
      });
      const page = (await res.json()) as {
        items: Array<{ id: string; last_error: string; attempts: number }>;
      };
      return page.items[0];
    });
    expect(delivery.attempts).toBe(1);
    expect(delivery.last_error).toContain("channel_not_found");
    expect(slack.to("/gone")).toHaveLength(1);
  });

  it("shows an event's deliveries in the event's detail, and secrets nowhere", async () => {
    const events = (await (
      await fetch(`${app.url}/api/v1/events?source=netlify`, { headers: auth })
    ).json()) as { items: Array<{ id: string; kind: string }> };
    const failedEvent = events.items.find((e) => e.kind === "deploy.failed");
    const detail = (await (
      await fetch(`${app.url}/api/v1/events/${failedEvent?.id}`, { headers: auth })
    ).json()) as { deliveries: Array<{ target: string }> };
    expect(detail.deliveries.map((d) => d.target).sort()).toEqual([
      "flaky-slack",
      "gone-slack",
      "ops-slack",
      "release-mail",
    ]);
    const all = await (
      await fetch(`${app.url}/api/v1/deliveries?limit=200`, { headers: auth })
    ).text();
    expect(all).not.toContain(slack.url);
  });

  it("filters deliveries by status, event and target", async () => {
    const res = await fetch(`${app.url}/api/v1/deliveries?target=ops-slack&status=succeeded`, {
      headers: auth,
    });
    const page = (await res.json()) as { total: number; items: Array<{ target: string }> };
    expect(page.total).toBe(3);
    expect(page.items.every((d) => d.target === "ops-slack")).toBe(true);
    const bad = await fetch(`${app.url}/api/v1/deliveries?status=lost`, { headers: auth });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${app.url}/api/v1/deliveries/dlv_01ARZ3NDEKTSV4RRFFQ69G5FAV`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
  });
});
