import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listOf } from "../../src/api/api-schemas.js";
import {
  buildHookCreatedSchema,
  buildHookViewSchema,
  buildTriggerViewSchema,
} from "../../src/services/build-hooks/build-hook-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

const KEY = Buffer.alloc(32, 9).toString("base64");
const TRIGGER_TOKEN = "glptt-trigger-token-never-in-clear-01";
const HMAC_SECRET = "hmac-secret-never-in-clear-0123";
const JWS_SECRET = "jws-secret-never-in-clear-4567";
const WHSEC = `whsec_${Buffer.from("standard-webhooks-key-never-clear!").toString("base64")}`;
const HEADER_SECRET = "header-value-never-in-clear-89";
const URL_PASSWORD = "url-password-never-in-clear";
const URL_QUERY_TOKEN = "query-token-never-in-clear";

type Receiver = Awaited<ReturnType<typeof startHttpReceiver>>;

/** An answer as a client sees it, `Date` aside: what must not tell hooks apart. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function post(url: string, body = "{}", headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body, headers });
  const answer: Answer = {
    status: res.status,
    headers: Object.fromEntries([...res.headers].filter(([name]) => name !== "date")),
    body: await res.text(),
  };
  return answer;
}

describe.each(ENGINES)("build hooks on %s", (engine) => {
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
      text,
      body: text ? JSON.parse(text) : undefined,
    };
  }

  async function createUrlHook(extra: Record<string, unknown> = {}) {
    const res = await api("POST", "/api/v1/build_hooks", {
      title: "Nightly",
      target: { type: "url", url: `${receiver.url}/build`, ref: "main", secret: HMAC_SECRET },
      ...extra,
    });
    expect(res.status, res.text).toBe(201);
    return buildHookCreatedSchema.parse(res.body);
  }

  async function triggersOf(id: string) {
    const res = await api("GET", `/api/v1/build_hooks/${id}/triggers`);
    expect(res.status).toBe(200);
    return listOf(buildTriggerViewSchema).parse(res.body);
  }

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    app = await startTestShipcast(engine, {
      SHIPCAST_ENCRYPTION_KEY: KEY,
      DELIVERY_RETRY_SCHEDULE: "20ms,20ms",
    });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it("shows the URL once, stores only its hash, and starts a build when it is POSTed to", async () => {
    const created = await createUrlHook();
    const token = created.url.split("/build_hooks/")[1] as string;
    expect(created.url).toBe(`${app.url}/build_hooks/${token}`);
    // At least 128 bits: 24 random bytes, base64url.
    expect(Buffer.from(token, "base64url")).toHaveLength(24);
    expect(created.id).toMatch(/^bhk_[0-9a-z]{16}$/);
    expect(created.url_hint).toBe(`/build_hooks/${token.slice(0, 4)}…`);

    const read = await api("GET", `/api/v1/build_hooks/${created.id}`);
    expect(buildHookViewSchema.parse(read.body)).toEqual(
      expect.objectContaining({ id: created.id, url_hint: created.url_hint }),
    );
    const list = await api("GET", "/api/v1/build_hooks");
    for (const answer of [read.text, list.text]) expect(answer).not.toContain(token);
    const rows = await app.shipcast.store.db.selectFrom("build_hooks").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const row = rows.find((r) => r.id === created.id);
    expect(row?.url_hash).toBe(createHash("sha256").update(token).digest("hex"));

    const triggered = await post(`${created.url}?trigger_title=Nightly%20run`, "{}", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(triggered.status).toBe(202);
    const { id: triggerId } = JSON.parse(triggered.body) as { id: string };
    expect(triggerId).toMatch(/^evt_/);

    const page = await eventually(async () => {
      const found = await triggersOf(created.id);
      return found.items[0]?.delivery?.status === "succeeded" ? found : undefined;
    });
    expect(page.items[0]).toMatchObject({
      id: triggerId,
      ref: "main",
      title: "Nightly run",
      delivery: { status: "succeeded", attempts: 1, in_flight: false },
    });
    const sent = receiver.to("/build").at(-1);
    expect(sent?.headers["x-shipcast-event"]).toBe("build.requested");
    expect(JSON.parse(sent?.body ?? "{}")).toMatchObject({
      id: triggerId,
      kind: "build.requested",
      build: { hook: { id: created.id, title: "Nightly" }, ref: "main", title: "Nightly run" },
    });

    // The trigger is an event like any other: listed, with its request and its deliveries.
    const events = await api("GET", "/api/v1/events?source=shipcast");
    expect(events.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: triggerId, kind: "build.requested", status: "processed" }),
      ]),
    );
    const event = await api("GET", `/api/v1/events/${triggerId}`);
    expect(event.body).toMatchObject({
      source: "shipcast",
      source_event: "build_hook",
      payload: {},
      event: { kind: "build.requested", build: { hook: { id: created.id } } },
      deliveries: [expect.objectContaining({ target: created.id, kind: "build-hook" })],
    });
    expect(event.text).not.toContain(token);
    expect(event.text).not.toContain(HMAC_SECRET);
  });

  it("retries a build whose target failed, logs every attempt, and resends on request", async () => {
    let calls = 0;
    receiver.on("/flaky", (_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 503 : 200).end(calls === 1 ? "busy" : "started");
    });
    const res = await api("POST", "/api/v1/build_hooks", {
      title: "Flaky",
      target: { type: "url", url: `${receiver.url}/flaky` },
    });
    const hook = buildHookCreatedSchema.parse(res.body);
    expect((await post(hook.url)).status).toBe(202);
    const trigger = await eventually(async () => {
      const item = (await triggersOf(hook.id)).items[0];
      return item?.delivery?.status === "succeeded" ? item : undefined;
    });
    expect(trigger.delivery?.attempts).toBe(2);
    const detail = await api("GET", `/api/v1/deliveries/${trigger.delivery?.id}`);
    expect(
      detail.body.attempts.map((a: { outcome: string; http_status: number }) => [
        a.outcome,
        a.http_status,
      ]),
    ).toEqual([
      ["retry", 503],
      ["succeeded", 200],
    ]);
    expect(detail.body.attempts[0].request).toMatchObject({ method: "POST" });

    const resent = await api("POST", `/api/v1/deliveries/${trigger.delivery?.id}/redeliver`);
    expect(resent.body).toMatchObject({ outcome: "succeeded", attempt: 3 });
    expect(calls).toBe(3);
  });

  it("never answers a secret: trigger tokens, signing secrets, header values, URL credentials", async () => {
    const secrets = [
      TRIGGER_TOKEN,
      HMAC_SECRET,
      JWS_SECRET,
      WHSEC,
      WHSEC.slice("whsec_".length),
      HEADER_SECRET,
      URL_PASSWORD,
      URL_QUERY_TOKEN,
    ];
    const gitlab = await api("POST", "/api/v1/build_hooks", {
      title: "Deploy web",
      target: {
        type: "gitlab_pipeline",
        project: "group/web",
        ref: "main",
        variables: { DEPLOY: "1" },
        trigger_token: TRIGGER_TOKEN,
      },
    });
    expect(gitlab.status, gitlab.text).toBe(201);
    expect(gitlab.body.target).toEqual({
      type: "gitlab_pipeline",
      project: "group/web",
      ref: "main",
      variables: { DEPLOY: "1" },
      trigger_token_set: true,
    });
    const url = await api("POST", "/api/v1/build_hooks", {
      title: "Jenkins",
      target: {
        type: "url",
        url: `https://ci:${URL_PASSWORD}@ci.example.com/job/web/build?token=${URL_QUERY_TOKEN}`,
        headers: { "X-Api-Key": HEADER_SECRET },
        secret: HMAC_SECRET,
        jws_secret: JWS_SECRET,
        standard_webhooks_secret: WHSEC,
      },
    });
    expect(url.status, url.text).toBe(201);
    expect(url.body.target).toMatchObject({
      url: "https://[redacted]@ci.example.com/job/web/build?[redacted]",
      headers: { "X-Api-Key": "[redacted]" },
      secret_set: true,
      jws_secret_set: true,
      standard_webhooks_secret_set: true,
    });
    // Changing the ref keeps the trigger token; removing it without GITLAB_TOKEN is refused.
    const patched = await api("PATCH", `/api/v1/build_hooks/${gitlab.body.id}`, {
      target: { ref: "release" },
    });
    expect(patched.body.target).toMatchObject({ ref: "release", trigger_token_set: true });
    const removed = await api("PATCH", `/api/v1/build_hooks/${gitlab.body.id}`, {
      target: { trigger_token: null },
    });
    expect(removed.status).toBe(422);
    expect(removed.body.problems).toEqual([
      expect.objectContaining({ field: "target.trigger_token" }),
    ]);

    const answers = [
      gitlab.text,
      url.text,
      patched.text,
      removed.text,
      (await api("GET", "/api/v1/build_hooks")).text,
      (await api("GET", `/api/v1/build_hooks/${url.body.id}`)).text,
      (await api("POST", `/api/v1/build_hooks/${url.body.id}/rotate`)).text,
    ];
    const stored = JSON.stringify(
      await app.shipcast.store.db.selectFrom("build_hooks").selectAll().execute(),
    );
    for (const text of [...answers, stored]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it("refuses targets this deployment cannot start, and writes for read-only tokens", async () => {
    const github = await api("POST", "/api/v1/build_hooks", {
      title: "Deploy",
      target: {
        type: "github_workflow",
        repository: "acme/web",
        workflow: "deploy.yml",
        ref: "main",
      },
    });
    expect(github.status).toBe(422);
    expect(github.body.problems).toEqual([
      expect.objectContaining({ field: "target.type", message: expect.stringContaining("APP_ID") }),
    ]);
    const gitlab = await api("POST", "/api/v1/build_hooks", {
      title: "Deploy",
      target: { type: "gitlab_pipeline", project: 42, ref: "main" },
    });
    expect(gitlab.status).toBe(422);
    expect(gitlab.body.problems[0].field).toBe("target.trigger_token");
    const badRef = await api("POST", "/api/v1/build_hooks", {
      title: "Deploy",
      target: { type: "url", url: "https://ci.example.com/", ref: "feature..x" },
    });
    expect(badRef.status).toBe(422);
    expect(badRef.body.problems).toEqual([expect.objectContaining({ field: "target.ref" })]);

    const token = await api("POST", "/api/v1/tokens", { name: "reader", scope: "read" });
    const reader = { authorization: `Bearer ${token.body.token}` };
    expect((await api("GET", "/api/v1/build_hooks", undefined, reader)).status).toBe(200);
    const refused = await api(
      "POST",
      "/api/v1/build_hooks",
      { title: "x", target: { type: "url", url: "https://ci.example.com/" } },
      reader,
    );
    expect(refused.status).toBe(403);
  });

  it("answers an unknown URL and a disabled hook's alike: status, headers and body", async () => {
    const hook = await createUrlHook({ title: "Soon disabled" });
    const token = hook.url.split("/build_hooks/")[1] as string;
    const disabled = await api("PATCH", `/api/v1/build_hooks/${hook.id}`, { enabled: false });
    expect(disabled.body.enabled).toBe(false);

    const unknownToken = randomBytes(24).toString("base64url");
    const answers = [
      await post(hook.url),
      await post(`${app.url}/build_hooks/${unknownToken}`),
      await post(`${app.url}/build_hooks/not-even-a-token`),
    ];
    expect(answers[0]?.status).toBe(404);
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
    expect(answers[0]?.body).not.toContain(token);
    expect((await triggersOf(hook.id)).total).toBe(0);

    // Enabled again, the same URL works: it was the hook's URL all along.
    await api("PATCH", `/api/v1/build_hooks/${hook.id}`, { enabled: true });
    expect((await post(hook.url)).status).toBe(202);
  });

  it("rotates to a new URL: the old one answers like an unknown one at once, the id stays", async () => {
    const hook = await createUrlHook({ title: "Rotated" });
    const rotated = await api("POST", `/api/v1/build_hooks/${hook.id}/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = buildHookCreatedSchema.parse(rotated.body);
    expect(fresh.id).toBe(hook.id);
    expect(fresh.url).not.toBe(hook.url);
    expect(fresh.url_rotated_at).not.toBeNull();

    const old = await post(hook.url);
    const unknown = await post(`${app.url}/build_hooks/${randomBytes(24).toString("base64url")}`);
    expect(old.status).toBe(404);
    expect(old).toEqual(unknown);
    expect((await post(fresh.url)).status).toBe(202);
    expect((await api("POST", "/api/v1/build_hooks/bhk_0000000000000000/rotate")).status).toBe(404);
  });

  it("takes at most rate_limit_per_minute triggers a minute, then answers 429 with Retry-After", async () => {
    const hook = await createUrlHook({ title: "Limited", rate_limit_per_minute: 2 });
    expect((await post(hook.url)).status).toBe(202);
    expect((await post(hook.url)).status).toBe(202);
    const limited = await fetch(hook.url, { method: "POST", body: "{}" });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: string }).error).toContain("at most 2 a minute");
    // A refused trigger leaves nothing behind; another hook has its own allowance.
    expect((await triggersOf(hook.id)).total).toBe(2);
    const other = await createUrlHook({ title: "Other", rate_limit_per_minute: 1 });
    expect((await post(other.url)).status).toBe(202);
  });

  it("builds trigger_branch only where the hook allows it", async () => {
    const hook = await createUrlHook({ title: "Branches" });
    const refused = await post(`${hook.url}?trigger_branch=feature/x`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("allow_branch_override");
    // Naming the hook's own ref overrides nothing: accepted.
    expect((await post(`${hook.url}?trigger_branch=main`)).status).toBe(202);
    expect((await post(`${hook.url}?trigger_branch=bad..name`)).status).toBe(400);

    await api("PATCH", `/api/v1/build_hooks/${hook.id}`, { allow_branch_override: true });
    const accepted = await post(`${hook.url}?trigger_branch=feature/x&trigger_title=Preview`);
    expect(accepted.status).toBe(202);
    const { id } = JSON.parse(accepted.body) as { id: string };
    const event = await api("GET", `/api/v1/events/${id}`);
    expect(event.body.event).toMatchObject({
      commit: { ref: "feature/x", message: "Preview" },
      build: { ref: "feature/x", title: "Preview" },
    });
    expect((await triggersOf(hook.id)).items[0]).toMatchObject({ id, ref: "feature/x" });
  });

  it("takes POST only and bounds the body, the same for every URL", async () => {
    const hook = await createUrlHook({ title: "Bounded" });
    const unknown = `${app.url}/build_hooks/${randomBytes(24).toString("base64url")}`;
    for (const url of [hook.url, unknown]) {
      const get = await fetch(url);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect((await post(url, "x".repeat(64 * 1024 + 1))).status).toBe(413);
    }
    expect((await post(hook.url, "x".repeat(64 * 1024))).status).toBe(202);
  });

  it("documents every build hook route in the OpenAPI document", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const names = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        "GET /api/v1/build_hooks",
        "POST /api/v1/build_hooks",
        "GET /api/v1/build_hooks/{id}",
        "PATCH /api/v1/build_hooks/{id}",
        "DELETE /api/v1/build_hooks/{id}",
        "POST /api/v1/build_hooks/{id}/rotate",
        "GET /api/v1/build_hooks/{id}/triggers",
      ]),
    );
  });

  it("deletes a hook: its URL then answers like an unknown one, its events stay", async () => {
    const hook = await createUrlHook({ title: "Deleted" });
    const triggered = await post(hook.url);
    const { id } = JSON.parse(triggered.body) as { id: string };
    expect((await api("DELETE", `/api/v1/build_hooks/${hook.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/build_hooks/${hook.id}`)).status).toBe(404);
    expect((await api("GET", `/api/v1/build_hooks/${hook.id}/triggers`)).status).toBe(404);
    expect((await post(hook.url)).status).toBe(404);
    expect((await api("GET", `/api/v1/events/${id}`)).status).toBe(200);
  });
});

describe("a build hook's body and MAX_INFLIGHT_BYTES", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      MAX_PAYLOAD_BYTES: "1000",
      MAX_INFLIGHT_BYTES: "1000",
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("counts the body against the bytes in flight: beyond them, 503 with Retry-After", async () => {
    const res = await fetch(`${app.url}/api/v1/build_hooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({
        title: "Small",
        target: { type: "url", url: "https://ci.example.com/" },
      }),
    });
    const hook = buildHookCreatedSchema.parse(await res.json());
    const busy = await fetch(hook.url, { method: "POST", body: "x".repeat(2000) });
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("5");
    expect((await post(hook.url, "x".repeat(900))).status).toBe(202);
  });
});
