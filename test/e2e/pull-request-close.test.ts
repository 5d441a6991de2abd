import { randomUUID } from "node:crypto";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/databases.js";
import {
  API,
  mockInstallation,
  mockSettings,
  mockToken,
  OWNER,
  REPO,
  SHA,
  TEST_PRIVATE_KEY,
} from "../helpers/github-api-mocks.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";
import { useStrictNock } from "../helpers/strict-nock.js";

const INSTALLATION = 4343;

/**
 * GitHub's own `pull_request.closed` example, moved onto the repository and pull request that the
 * real Netlify deploy-preview fixture builds (jd-ftf/test #6).
 */
function closedPullRequest(): string {
  const example = githubExamplesOf("pull_request").find((p) => p.action === "closed");
  if (!example) throw new Error("no pull_request.closed example");
  const payload = structuredClone(example) as {
    number: number;
    pull_request: {
      number: number;
      head: { sha: string };
      closed_at: string;
      updated_at: string;
    };
    repository: { full_name: string; name: string; html_url: string; owner: { login: string } };
    installation?: { id: number };
  };
  payload.number = 6;
  payload.pull_request.number = 6;
  payload.pull_request.head.sha = SHA;
  // GitHub's example was closed in 2019, before the 2020 deploy it follows here: a close is
  // never superseded by a deploy already delivered, whatever the two sources' clocks say.
  payload.repository.full_name = "jd-ftf/test";
  payload.repository.name = "test";
  payload.repository.html_url = "https://github.com/jd-ftf/test";
  payload.repository.owner.login = "jd-ftf";
  payload.installation = { id: INSTALLATION };
  return JSON.stringify(payload);
}

describe.each(ENGINES)("a closed pull request on %s", (engine) => {
  let app: TestShipcast;
  useStrictNock({ loopback: true });
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast(engine, {
      APP_ID: "1",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      DELIVERY_RETRY_SCHEDULE: "50ms,50ms,50ms",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("closes the sticky comment through the outbox, with an attempt on record, even when the close carries an older time than the deploy", async () => {
    const edits: string[] = [];
    mockInstallation(OWNER, REPO, INSTALLATION);
    mockToken(INSTALLATION);
    mockSettings(undefined);
    const api = nock(API);
    api.post(`/repos/jd-ftf/test/statuses/${SHA}`).reply(201, { id: 1, state: "success" });
    api.get("/app").reply(200, { id: 1, slug: "shipcast" });
    api.get("/repos/jd-ftf/test/issues/6/comments").query(true).reply(200, []);
    api
      .post("/repos/jd-ftf/test/issues/6/comments")
      .reply(201, { id: 2002, user: { login: "shipcast[bot]" } });
    // The close: first a server error (retried by the engine), then the edit that lands.
    api.patch("/repos/jd-ftf/test/issues/comments/2002").reply(502, { message: "Bad Gateway" });
    api
      .patch("/repos/jd-ftf/test/issues/comments/2002", (body: { body: string }) => {
        edits.push(body.body);
        return true;
      })
      .reply(200, { id: 2002 });

    const created = fixtureText("netlify/deploy_created.deploy-preview.json");
    const deployed = await fetch(`${app.url}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-netlify-event": "deploy_created",
        "x-webhook-signature": await netlifySignature(SECRETS.netlify, created),
      },
      body: created,
    });
    expect(deployed.status).toBe(202);
    await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?status=pending`, { headers: auth });
      return ((await res.json()) as { total: number }).total === 0 ? true : undefined;
    }, 20_000);

    const body = closedPullRequest();
    const closed = await fetch(`${app.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(SECRETS.github, body),
      },
      body,
    });
    expect(closed.status).toBe(202);
    const { id: eventId } = (await closed.json()) as { id: string };

    const delivery = await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?event=${eventId}`, {
        headers: auth,
      });
      const page = (await res.json()) as {
        items: Array<{ id: string; target: string; status: string }>;
      };
      const found = page.items.find((d) => d.status === "succeeded");
      return found;
    }, 30_000);

    // Only the comment output hears of a closed pull request.
    const all = (await (
      await fetch(`${app.url}/api/v1/deliveries?event=${eventId}`, { headers: auth })
    ).json()) as { items: Array<{ target: string }> };
    expect(all.items.map((d) => d.target)).toEqual(["github-comment"]);
    expect(delivery.target).toBe("github-comment");

    const detail = (await (
      await fetch(`${app.url}/api/v1/deliveries/${delivery.id}`, { headers: auth })
    ).json()) as { attempts: Array<{ outcome: string; http_status: number | null }> };
    expect(detail.attempts.map((a) => [a.outcome, a.http_status])).toEqual([
      ["retry", 502],
      ["succeeded", 200],
    ]);
    expect(edits).toHaveLength(1);
    expect(edits[0]).toContain("<!-- shipcast:deploy-status -->");
    expect(edits[0]?.toLowerCase()).toContain("closed");
  });
});
