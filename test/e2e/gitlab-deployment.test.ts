import { randomUUID } from "node:crypto";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { useStrictNock } from "../helpers/strict-nock.js";

/** The instance of the fixture's project: its API is mocked, nothing leaves the process. */
const GITLAB_URL = "http://10.126.0.2:3000";
const TOKEN = "glpat-e2e-token-0123456789";
const SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468";
const deployment = fixtureText("gitlab/deployment.json");
const running = JSON.stringify({
  ...JSON.parse(deployment),
  status: "running",
  status_changed_at: "2021-04-28 21:51:00 +0200",
});

describe.each(ENGINES)("a GitLab Deployment Hook to GitLab on %s", (engine) => {
  let app: TestShipcast;
  useStrictNock({ loopback: true });
  const api = () => nock(GITLAB_URL).matchHeader("private-token", TOKEN);
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast(engine, {
      GITLAB_URL,
      GITLAB_TOKEN: TOKEN,
      DELIVERY_RETRY_SCHEDULE: "50ms,50ms",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  async function post(body: string) {
    const res = await fetch(`${app.url}/api/gitlab/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitlab-event": "Deployment Hook",
        "x-gitlab-token": SECRETS.gitlab,
        "idempotency-key": randomUUID(),
      },
      body,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  async function deliveriesOf(eventId: string) {
    return eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/events/${eventId}`, { headers: auth });
      const detail = (await res.json()) as {
        deliveries: Array<{ target: string; status: string; last_error: string | null }>;
      };
      return detail.deliveries.length === 2 &&
        detail.deliveries.every((d) => d.status !== "pending")
        ? detail.deliveries
        : undefined;
    });
  }

  it("sets a commit status on the deployed commit, and skips the note without a merge request", async () => {
    let status: Record<string, unknown> = {};
    api()
      .post(`/api/v4/projects/30/statuses/${SHA}`, (body: Record<string, unknown>) => {
        status = body;
        return true;
      })
      .reply(201, { id: 1, status: "success" });
    api().get(`/api/v4/projects/30/repository/commits/${SHA}/merge_requests`).reply(200, []);
    const deliveries = await deliveriesOf(await post(deployment));
    expect(status).toMatchObject({
      state: "success",
      name: "shipcast/deploy: staging",
      target_url: "https://staging.example.com",
      ref: "1.0.0",
    });
    const byTarget = Object.fromEntries(deliveries.map((d) => [d.target, d]));
    expect(byTarget["gitlab-status"]?.status).toBe("succeeded");
    expect(byTarget["gitlab-comment"]?.status).toBe("skipped");
    expect(byTarget["gitlab-comment"]?.last_error).toContain("no open merge request");
  });

  // Later than the first test's deploy: an older state would be superseded (and is, by design).
  it("keeps one merge-request note, created once then edited in place", async () => {
    const mr = { id: 1005, iid: 5, project_id: 30, state: "opened", sha: SHA };
    const notes = "/api/v4/projects/30/merge_requests/5/notes";
    const bodies: string[] = [];
    // First event (running): status, MR lookup, no note of ours yet → create.
    api().post(`/api/v4/projects/30/statuses/${SHA}`).reply(201, { id: 2, status: "running" });
    api().get(`/api/v4/projects/30/repository/commits/${SHA}/merge_requests`).reply(200, [mr]);
    api().get("/api/v4/user").reply(200, { id: 77, username: "shipcast-bot" });
    api().get(notes).query(true).reply(200, []);
    api()
      .post(notes, (body: { body: string }) => {
        bodies.push(body.body);
        return true;
      })
      .reply(201, { id: 901, body: "", author: { id: 77 } });
    await deliveriesOf(await post(running));

    // Second event (success): status, MR lookup, the remembered note → edit.
    api().post(`/api/v4/projects/30/statuses/${SHA}`).reply(201, { id: 3, status: "success" });
    api().get(`/api/v4/projects/30/repository/commits/${SHA}/merge_requests`).reply(200, [mr]);
    api()
      .put(`${notes}/901`, (body: { body: string }) => {
        bodies.push(body.body);
        return true;
      })
      .reply(200, { id: 901, body: "", author: { id: 77 } });
    const second = JSON.stringify({
      ...JSON.parse(deployment),
      deployment_id: 16,
      status_changed_at: "2021-04-28 21:52:00 +0200",
    });
    await deliveriesOf(await post(second));

    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain("| test-deployment-webhooks | staging | ⏳ Building |");
    expect(bodies[1]).toContain("| test-deployment-webhooks | staging | ✅ Ready |");
    expect(bodies[1]).toContain("<!-- shipcast:deploy-status -->");
  });
});
