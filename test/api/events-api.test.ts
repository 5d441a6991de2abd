import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

interface EventSummary {
  id: string;
  source: string;
  status: string;
  reason: string | null;
  kind: string | null;
}
interface Page {
  items: EventSummary[];
  total: number;
  next: string | null;
}

describe.each(ENGINES)("events API on %s", (engine) => {
  let app: TestShipcast;
  const ids: string[] = [];
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast(engine);
    const deployment = JSON.stringify(githubExamplesOf("deployment_status")[0]);
    const push = JSON.stringify(githubExamplesOf("push")[0]);
    // 5 GitHub deploys, 2 GitHub pushes, 1 GitLab deployment, in this order.
    const posts: Array<[string, string, Record<string, string>]> = [];
    for (let i = 0; i < 5; i++)
      posts.push(["github", deployment, { "x-github-event": "deployment_status" }]);
    for (let i = 0; i < 2; i++) posts.push(["github", push, { "x-github-event": "push" }]);
    posts.push([
      "gitlab",
      fixtureText("gitlab/deployment.json"),
      { "x-gitlab-event": "Deployment Hook" },
    ]);
    for (const [source, body, headers] of posts) {
      const signing: Record<string, string> =
        source === "github"
          ? {
              "x-hub-signature-256": githubSignature(SECRETS.github, body),
              "x-github-delivery": randomUUID(),
            }
          : { "x-gitlab-token": SECRETS.gitlab, "idempotency-key": randomUUID() };
      const res = await fetch(`${app.url}/api/${source}/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers, ...signing },
        body,
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    await eventually(async () => {
      const page = await get<Page>("/api/v1/events?status=pending");
      return page.total === 0 ? true : undefined;
    });
  });
  afterAll(async () => {
    await app.close();
  });

  async function get<T>(path: string, headers: Record<string, string> = auth): Promise<T> {
    const res = await fetch(`${app.url}${path}`, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  it("lists events newest first in {items, total, next}", async () => {
    const page = await get<Page>("/api/v1/events");
    expect(page.total).toBe(8);
    expect(page.next).toBeNull();
    expect(page.items.map((e) => e.id)).toEqual([...ids].reverse());
  });

  it("filters by source and status", async () => {
    const gitlab = await get<Page>("/api/v1/events?source=gitlab");
    expect(gitlab.total).toBe(1);
    expect(gitlab.items[0]?.kind).toBe("deploy.succeeded");
    const ignored = await get<Page>("/api/v1/events?source=github&status=ignored");
    expect(ignored.total).toBe(2);
    expect(ignored.items.every((e) => e.reason?.includes("push"))).toBe(true);
  });

  it("paginates with limit and the next cursor until the end", async () => {
    const seen: string[] = [];
    let path = "/api/v1/events?limit=3";
    for (;;) {
      const page = await get<Page>(path);
      expect(page.total).toBe(8);
      seen.push(...page.items.map((e) => e.id));
      if (!page.next) break;
      path = `/api/v1/events?limit=3&cursor=${encodeURIComponent(page.next)}`;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it("shows one event with redacted headers, its payload and the normalized event", async () => {
    const detail = await get<{
      id: string;
      status: string;
      headers: Record<string, string>;
      payload: unknown;
      event: { kind: string; source: string } | null;
    }>(`/api/v1/events/${ids[0]}`);
    expect(detail.id).toBe(ids[0]);
    expect(detail.status).toBe("processed");
    expect(detail.headers["x-hub-signature-256"]).toBe("[redacted]");
    expect(detail.payload).toEqual(githubExamplesOf("deployment_status")[0]);
    expect(detail.event?.source).toBe("github");
    const gitlab = await get<{ headers: Record<string, string> }>(`/api/v1/events/${ids[7]}`);
    expect(gitlab.headers["x-gitlab-token"]).toBe("[redacted]");
    expect(JSON.stringify(gitlab)).not.toContain(SECRETS.gitlab);
  });

  it("answers 404 for an unknown event and 400 for bad queries", async () => {
    const missing = await fetch(`${app.url}/api/v1/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
    for (const query of ["limit=0", "limit=201", "status=weird", "source=svn", "cursor=abc"]) {
      const res = await fetch(`${app.url}/api/v1/events?${query}`, { headers: auth });
      expect(res.status, query).toBe(400);
    }
  });

  it("requires the admin bearer token", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-wrong-token" },
      { authorization: SECRETS.admin },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${app.url}/api/v1/events`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    }
  });

  it("is off, and says so, when SHIPCAST_ADMIN_TOKEN is unset", async () => {
    const off = await startTestShipcast(engine, { SHIPCAST_ADMIN_TOKEN: "" });
    try {
      const res = await fetch(`${off.url}/api/v1/events`, { headers: auth });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toContain("SHIPCAST_ADMIN_TOKEN");
    } finally {
      await off.close();
    }
  });

  it("answers /healthz 200 while the store answers, 503 once it is gone", async () => {
    const other = await startTestShipcast(engine);
    expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    await other.shipcast.store.close();
    const res = await fetch(`${other.url}/healthz`);
    expect(res.status).toBe(503);
    await other.close();
  });
});
