import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/databases.js";
import { API, mockRepositoryReady, SHA, TEST_PRIVATE_KEY } from "../helpers/github-api-mocks.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";
import { useStrictNock } from "../helpers/strict-nock.js";

const created = fixtureText("netlify/deploy_created.deploy-preview.json");
const failed = fixtureText("netlify/deploy_failed.deploy-preview.json");
const building = JSON.stringify({
  ...JSON.parse(created),
  state: "building",
  updated_at: "2020-01-09T04:30:56.000Z",
});

describe.each(ENGINES)("Netlify deploys of PR 6 to GitHub on %s", (engine) => {
  let app: TestShipcast;
  useStrictNock({ loopback: true });
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast(engine, { APP_ID: "1", PRIVATE_KEY: TEST_PRIVATE_KEY });
  });
  afterAll(async () => {
    await app.close();
  });

  it("turns deploy_building → deploy_created → deploy_failed into pending → success → failure and one comment edited twice", async () => {
    const statuses: Array<Record<string, string>> = [];
    const comments: Array<{ method: string; body: string }> = [];
    mockRepositoryReady();
    const api = nock(API);
    api
      .post(`/repos/jd-ftf/test/statuses/${SHA}`, (body: Record<string, string>) => {
        statuses.push(body);
        return true;
      })
      .times(3)
      .reply(201, { id: 1, state: "pending", context: "shipcast/deploy: deploy-preview" });
    api.get("/app").reply(200, { id: 1, slug: "shipcast" });
    api.get("/repos/jd-ftf/test/issues/6/comments").query(true).reply(200, []);
    api
      .post("/repos/jd-ftf/test/issues/6/comments", (body: { body: string }) => {
        comments.push({ method: "POST", body: body.body });
        return true;
      })
      .reply(201, { id: 1001, user: { login: "shipcast[bot]" } });
    api
      .patch("/repos/jd-ftf/test/issues/comments/1001", (body: { body: string }) => {
        comments.push({ method: "PATCH", body: body.body });
        return true;
      })
      .times(2)
      .reply(200, { id: 1001 });

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

    await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?status=pending`, { headers: auth });
      const page = (await res.json()) as { total: number };
      return statuses.length === 3 && comments.length === 3 && page.total === 0 ? true : undefined;
    }, 20_000);

    expect(statuses.map((s) => s.state)).toEqual(["pending", "success", "failure"]);
    expect(statuses.every((s) => s.context === "shipcast/deploy: deploy-preview")).toBe(true);
    expect(statuses[1]?.target_url).toBe(
      "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com",
    );
    expect(statuses[2]?.description).toContain("Build script returned non-zero exit code: 1");
    expect(statuses[2]?.target_url).toBe(
      "https://app.netlify.com/sites/dazzling-almeida-67ef75/deploys/5e16fd8f7a376a1a95d6cf9c",
    );
    expect(statuses.every((s) => (s.description ?? "").length <= 140)).toBe(true);

    expect(comments.map((c) => c.method)).toEqual(["POST", "PATCH", "PATCH"]);
    expect(comments[0]?.body).toContain(
      "| dazzling-almeida-67ef75 | deploy-preview | ⏳ Building |",
    );
    expect(comments[1]?.body).toContain("| dazzling-almeida-67ef75 | deploy-preview | ✅ Ready |");
    expect(comments[2]?.body).toContain("| dazzling-almeida-67ef75 | deploy-preview | ❌ Failed |");
    expect(comments[2]?.body).toContain("<!-- shipcast:deploy-status -->");
    // One row: the same site and environment, updated in place.
    expect(comments[2]?.body.match(/\| dazzling-almeida-67ef75 \|/g)).toHaveLength(1);
  });
});

describe("GitHub-side deployments and GitHub Enterprise", () => {
  let app: TestShipcast | undefined;
  useStrictNock({ loopback: true });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("posts a GitHub Actions deployment_status as a commit status, like any other deploy", async () => {
    app = await startTestShipcast("sqlite", { APP_ID: "1", PRIVATE_KEY: TEST_PRIVATE_KEY });
    const payload = githubExamplesOf("deployment_status")[0] as Record<string, unknown>;
    const sha = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
    const statuses: Array<Record<string, string>> = [];
    const api = nock(API);
    api.get("/repos/Codertocat/Hello-World/installation").reply(200, { id: 7 });
    api
      .post("/app/installations/7/access_tokens")
      .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" });
    api
      .get("/repos/Codertocat/Hello-World/contents/.github%2Fshipcast.yml")
      .reply(404, { message: "Not Found" })
      .get("/repos/Codertocat/.github/contents/.github%2Fshipcast.yml")
      .reply(404, { message: "Not Found" });
    api
      .post(`/repos/Codertocat/Hello-World/statuses/${sha}`, (body: Record<string, string>) => {
        statuses.push(body);
        return true;
      })
      .reply(201, { id: 1 });
    // No pull request is named: the comment looks for an open one headed by the commit.
    api.get(`/repos/Codertocat/Hello-World/commits/${sha}/pulls`).query(true).reply(200, []);
    const body = JSON.stringify(payload);
    const res = await fetch(`${app.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "deployment_status",
        "x-github-delivery": "7a2b8c4e-0000-4000-8000-000000000001",
        "x-hub-signature-256": githubSignature(SECRETS.github, body),
      },
      body,
    });
    expect(res.status).toBe(202);
    await eventually(async () => {
      const list = await fetch(`${app?.url}/api/v1/deliveries`, {
        headers: { authorization: `Bearer ${SECRETS.admin}` },
      });
      const page = (await list.json()) as { items: Array<{ status: string }> };
      // The status, the comment, and the reading of the repository's notify list.
      return page.items.length === 3 && page.items.every((d) => d.status !== "pending")
        ? true
        : undefined;
    });
    expect(statuses).toEqual([
      expect.objectContaining({ state: "success", context: "shipcast/deploy: production" }),
    ]);
  });

  it("serves repositories on GHE_HOST through that server's API", async () => {
    app = await startTestShipcast(
      "sqlite",
      {
        APP_ID: "1",
        PRIVATE_KEY: TEST_PRIVATE_KEY,
        GHE_HOST: "ghe.example.com",
        GHE_PROTOCOL: "https",
        // Statuses only: the comment is narrowed away to keep the mocks to the point.
      },
      { routing: "defaults:\n  github-comment: false\n" },
    );
    const ghe = nock("https://ghe.example.com/api/v3");
    ghe.get("/repos/platform/web/installation").reply(200, { id: 9 });
    ghe
      .post("/app/installations/9/access_tokens")
      .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" });
    ghe
      .get("/repos/platform/web/contents/.github%2Fshipcast.yml")
      .reply(404, { message: "Not Found" })
      .get("/repos/platform/.github/contents/.github%2Fshipcast.yml")
      .reply(404, { message: "Not Found" });
    let state = "";
    ghe
      .post(`/repos/platform/web/statuses/${SHA}`, (b: { state: string }) => {
        state = b.state;
        return true;
      })
      .reply(201, { id: 1 });
    const body = JSON.stringify({
      ...JSON.parse(created),
      id: "ghe-deploy-1",
      commit_url: `https://ghe.example.com/platform/web/commit/${SHA}`,
      review_id: null,
      review_url: null,
    });
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
    await eventually(() => (state ? state : undefined));
    expect(state).toBe("success");
  });
});
