import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { connect } from "node:net";
import { sign as hubSign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEvent } from "../../src/store/events-repository.js";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { head, headOnly } from "../helpers/request-head.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";

const KEY = Buffer.alloc(32, 6).toString("base64");
const SECRETS_BY_KIND = {
  github: "github-source-secret-0123456789",
  gitlab: "gitlab-source-token-0123456789",
  netlify: "netlify-source-jws-0123456789",
  bitrise: "bitrise-source-secret-0123456789",
  qovery: "qovery-source-secret-0123456789",
  generic: `whsec_${randomBytes(32).toString("base64")}`,
} as const;
type Kind = keyof typeof SECRETS_BY_KIND;

const deploymentStatus = JSON.stringify(githubExamplesOf("deployment_status")[0]);
const gitlabDeployment = fixtureText("gitlab/deployment.json");
const netlifyCreated = fixtureText("netlify/deploy_created.deploy-preview.json");
const bitriseFinished = fixtureText("bitrise/build_finished.json");
const qoverySuccessful = fixtureText("qovery/deployment_successful.json");
const genericReport = JSON.stringify({
  kind: "deploy.succeeded",
  project: "web",
  environment: "production",
  sha: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
  repository_url: "https://github.com/acme/web",
});

/** Headers each sender would send, signed by independent implementations of the schemes. */
async function signed(
  kind: Kind,
  body: string,
  secret: string = SECRETS_BY_KIND[kind],
): Promise<Record<string, string>> {
  switch (kind) {
    case "github":
      return {
        "x-github-event": "deployment_status",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": await hubSign(secret, body),
      };
    case "gitlab":
      return { "x-gitlab-event": "Deployment Hook", "x-gitlab-token": secret };
    case "netlify":
      return {
        "x-netlify-event": "deploy_created",
        "x-webhook-signature": await netlifySignature(secret, body),
      };
    case "bitrise":
      return {
        "bitrise-event-type": "build/finished",
        "bitrise-hook-signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      };
    case "qovery":
      return { "qovery-signature": secret };
    case "generic": {
      const id = `msg_${randomUUID().replaceAll("-", "")}`;
      const now = new Date();
      return {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(id, now, body),
      };
    }
  }
}

const BODIES: Record<Kind, string> = {
  github: deploymentStatus,
  gitlab: gitlabDeployment,
  netlify: netlifyCreated,
  bitrise: bitriseFinished,
  qovery: qoverySuccessful,
  generic: genericReport,
};

describe.each(ENGINES)("per-source routes on %s", (engine) => {
  let app: TestShipcast;
  const ids = {} as Record<Kind, string>;

  async function api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${SECRETS.admin}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  }

  async function createSource(kind: Kind, secret: string = SECRETS_BY_KIND[kind]) {
    const created = await api("POST", "/api/v1/sources", { kind, name: `${kind} test`, secret });
    expect(created.status).toBe(201);
    return created.body as { id: string; url: string };
  }

  function post(url: string, headers: Record<string, string>, body: string) {
    return fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  }

  async function processed(id: string) {
    return eventually(async () => {
      const row = await getEvent(app.shipcast.store.db, id);
      return row && row.status !== "pending" ? row : undefined;
    });
  }

  beforeAll(async () => {
    app = await startTestShipcast(engine, {
      SHIPCAST_ENCRYPTION_KEY: KEY,
      MAX_PAYLOAD_BYTES: String(64 * 1024),
    });
    for (const kind of Object.keys(SECRETS_BY_KIND) as Kind[]) {
      ids[kind] = (await createSource(kind)).id;
    }
  });
  afterAll(async () => {
    await app.close();
  });

  const url = (kind: Kind) => `${app.url}/api/sources/${ids[kind]}/webhooks`;

  it.each([
    ["github", "deploy."],
    ["gitlab", "deploy."],
    ["netlify", "deploy.succeeded"],
    ["bitrise", "deploy.succeeded"],
    ["qovery", "deploy.succeeded"],
    ["generic", "deploy.succeeded"],
  ] as const)(
    "%s: acknowledges a signed delivery with 202, records the source, normalizes it",
    async (kind, expected) => {
      const body = BODIES[kind];
      const res = await post(url(kind), await signed(kind, body), body);
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const row = await processed(id);
      expect(row.status, row.reason ?? "").toBe("processed");
      expect(row.source).toBe(kind);
      expect(row.source_id).toBe(ids[kind]);
      expect(JSON.parse(row.normalized ?? "{}").kind).toMatch(
        new RegExp(`^${expected.replace(".", "\\.")}`),
      );
    },
  );

  it.each(["github", "gitlab", "netlify", "bitrise", "qovery", "generic"] as const)(
    "%s: refuses another secret's signature with 401 and stores nothing",
    async (kind) => {
      const body = BODIES[kind];
      const other =
        kind === "generic"
          ? `whsec_${randomBytes(32).toString("base64")}`
          : "another-secret-0123456789";
      const res = await post(url(kind), await signed(kind, body, other), body);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: expect.stringMatching(/^missing or invalid .* signature$/),
      });
    },
  );

  it("answers a redelivery to the same source with the same id, flagged duplicate", async () => {
    const body = BODIES.bitrise.replace('"1234abcd"', '"dup00001"');
    const headers = await signed("bitrise", body);
    const first = (await (await post(url("bitrise"), headers, body)).json()) as { id: string };
    const second = await post(url("bitrise"), headers, body);
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({ id: first.id, duplicate: true });
  });

  it("keeps the same delivery to two sources of one kind apart (dedupe is per source)", async () => {
    const other = await createSource("bitrise");
    const body = BODIES.bitrise.replace('"1234abcd"', '"two00001"');
    const headers = await signed("bitrise", body);
    const a = (await (await post(url("bitrise"), headers, body)).json()) as { id: string };
    const b = (await (await post(other.url, headers, body)).json()) as {
      id: string;
      duplicate?: true;
    };
    expect(b.duplicate).toBeUndefined();
    expect(b.id).not.toBe(a.id);
  });

  it("answers 400 with every problem for a generic report that does not match the format", async () => {
    const body = JSON.stringify({ kind: "deploy.done", project: "web" });
    const res = await post(url("generic"), await signed("generic", body), body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^malformed body: kind: expected one of .*; environment: /,
    );
  });

  it("answers 400 to a signed body that is not a JSON object, and 415 to another content type", async () => {
    const res = await post(url("qovery"), await signed("qovery", "[1]"), "[1]");
    expect(res.status).toBe(400);
    const text = await fetch(url("qovery"), {
      method: "POST",
      headers: { "content-type": "text/plain", ...(await signed("qovery", "{}")) },
      body: "{}",
    });
    expect(text.status).toBe(415);
  });

  it("answers 413 to a body above MAX_PAYLOAD_BYTES", async () => {
    const body = JSON.stringify({ padding: "x".repeat(70 * 1024) });
    const res = await post(url("qovery"), await signed("qovery", body), body);
    expect(res.status).toBe(413);
  });

  it("records a Qovery body it cannot read as ignored, naming the missing field, after a 202", async () => {
    const body = JSON.stringify({
      event_type: "DEPLOYMENT_STARTED",
      payload: { project: { name: "web" } },
    });
    const res = await post(url("qovery"), await signed("qovery", body), body);
    expect(res.status).toBe(202);
    const row = await processed(((await res.json()) as { id: string }).id);
    expect(row.status).toBe("ignored");
    expect(row.reason).toBe(
      "qovery DEPLOYMENT_STARTED has no environment (payload.environment.name)",
    );
  });

  it("answers an unknown and a disabled source id identically: status, body and headers", async () => {
    const disabled = await createSource("gitlab");
    expect((await api("PATCH", `/api/v1/sources/${disabled.id}`, { enabled: false })).status).toBe(
      200,
    );
    const unknown = `${app.url}/api/sources/src_${"0".repeat(20)}/webhooks`;
    const answers = [];
    for (const target of [unknown, disabled.url]) {
      const res = await post(target, await signed("gitlab", gitlabDeployment), gitlabDeployment);
      const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== "date"));
      answers.push({ status: res.status, headers, body: await res.text() });
    }
    expect(answers[0]?.status).toBe(404);
    expect(answers[1]).toEqual(answers[0]);
    // Enabled again, it answers.
    await api("PATCH", `/api/v1/sources/${disabled.id}`, { enabled: true });
    const res = await post(
      disabled.url,
      await signed("gitlab", gitlabDeployment),
      gitlabDeployment,
    );
    expect(res.status).toBe(202);
  });

  it("refuses a deleted source's deliveries like an unknown id", async () => {
    const gone = await createSource("qovery");
    expect((await api("DELETE", `/api/v1/sources/${gone.id}`)).status).toBe(204);
    const res = await post(gone.url, await signed("qovery", qoverySuccessful), qoverySuccessful);
    expect(res.status).toBe(404);
  });

  it("accepts the old and the new secret during a rotation, and only the new one once it ends", async () => {
    const source = await createSource("gitlab", "gitlab-before-rotation-0123");
    const send = async (secret: string) => {
      const body = gitlabDeployment.replace(
        '"status": "success"',
        `"status": "success", "n": "${randomUUID()}"`,
      );
      return (await post(source.url, { "x-gitlab-token": secret }, body)).status;
    };
    expect(await send("gitlab-before-rotation-0123")).toBe(202);
    const rotated = await api("PATCH", `/api/v1/sources/${source.id}`, {
      secret: "gitlab-after-rotation-4567",
    });
    expect(rotated.body.previous_secret_expires_at).not.toBeNull();
    expect(await send("gitlab-after-rotation-4567")).toBe(202);
    expect(await send("gitlab-before-rotation-0123")).toBe(202);

    // The grace set in the past: the previous secret is refused from then on.
    await api("PATCH", `/api/v1/sources/${source.id}`, {
      previous_secret_expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    expect(await send("gitlab-before-rotation-0123")).toBe(401);
    expect(await send("gitlab-after-rotation-4567")).toBe(202);
  });

  it("filters events by the source that received them, environment routes included", async () => {
    const body = gitlabDeployment.replace(
      '"status": "success"',
      `"status": "success", "m": "${randomUUID()}"`,
    );
    const viaEnv = await post(
      `${app.url}/api/gitlab/webhooks`,
      { "x-gitlab-token": SECRETS.gitlab, "idempotency-key": randomUUID() },
      body,
    );
    const envId = ((await viaEnv.json()) as { id: string }).id;
    const listed = await api("GET", `/api/v1/events?source_id=${ids.generic}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThan(0);
    for (const item of listed.body.items) expect(item.source_id).toBe(ids.generic);
    const env = await api("GET", "/api/v1/events?source_id=env_gitlab");
    expect(env.body.items.map((i: { id: string }) => i.id)).toContain(envId);
    const detail = await api("GET", `/api/v1/events/${envId}`);
    expect(detail.body.source_id).toBe("env_gitlab");
    // Secrets stay redacted in what an event shows.
    expect(JSON.stringify(detail.body)).not.toContain(SECRETS.gitlab);
  });

  it.each(["bitrise", "qovery", "generic"] as const)(
    "%s: a signed body nested 20,000 levels deep is answered 202 or 400 and the server stays healthy",
    async (kind) => {
      const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
      const event = JSON.parse(BODIES[kind]) as Record<string, unknown>;
      if (kind === "bitrise") event.build_slug = randomUUID();
      event.extra = "DEEP";
      const body = JSON.stringify(event).replace('"DEEP"', deep);
      const res = await post(url(kind), await signed(kind, body), body);
      // generic refuses the unknown field; the others store it and read what they know.
      expect(res.status).toBe(kind === "generic" ? 400 : 202);
      if (res.status === 202) {
        const row = await processed(((await res.json()) as { id: string }).id);
        expect(row.status).toBe("processed");
      }
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    },
  );

  it("redacts every kind's secret-bearing headers in the stored event", async () => {
    for (const kind of ["bitrise", "qovery"] as const) {
      const body =
        kind === "bitrise"
          ? BODIES.bitrise.replace('"1234abcd"', '"red00001"')
          : `{"n":"${randomUUID()}"}`;
      const res = await post(url(kind), await signed(kind, body), body);
      const detail = await api(
        "GET",
        `/api/v1/events/${((await res.json()) as { id: string }).id}`,
      );
      const headers = detail.body.headers as Record<string, string>;
      const name = kind === "bitrise" ? "bitrise-hook-signature" : "qovery-signature";
      expect(headers[name]).toBe("[redacted]");
      expect(JSON.stringify(detail.body)).not.toContain(SECRETS_BY_KIND[kind]);
    }
  });
});

describe("per-source routes: answers decided by the headers, before the body is read", () => {
  let app: TestShipcast;
  const paths = {} as Record<"gitlab" | "generic" | "qovery", string>;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      SHIPCAST_ENCRYPTION_KEY: KEY,
      MAX_PAYLOAD_BYTES: "4096",
      MAX_INFLIGHT_BYTES: "4096",
    });
    for (const kind of ["gitlab", "generic", "qovery"] as const) {
      const res = await fetch(`${app.url}/api/v1/sources`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ kind, name: kind, secret: SECRETS_BY_KIND[kind] }),
      });
      paths[kind] = new URL(((await res.json()) as { url: string }).url).pathname;
    }
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ["a wrong GitLab token", "gitlab", ["x-gitlab-token: wrong-token-0123456789"], 401],
    ["a wrong Qovery secret", "qovery", ["qovery-signature: nope"], 401],
    ["no generic signature", "generic", [], 401],
    [
      "a stale Standard Webhooks timestamp",
      "generic",
      [
        "webhook-id: msg_1",
        "webhook-timestamp: 1000000000",
        `webhook-signature: v1,${"A".repeat(43)}=`,
      ],
      401,
    ],
    [
      "a declared length above MAX_PAYLOAD_BYTES",
      "qovery",
      [`qovery-signature: ${SECRETS_BY_KIND.qovery}`],
      413,
    ],
  ] as const)("%s: answered without waiting for the body", async (_name, kind, headers, status) => {
    const length = status === 413 ? 4097 : 1000;
    const answer = await headOnly(app.url, head(paths[kind], [...headers], length));
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  });

  it("an unknown id: 404 without waiting for the body", async () => {
    const answer = await headOnly(app.url, head(`/api/sources/src_${"1".repeat(20)}/webhooks`, []));
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("shares MAX_INFLIGHT_BYTES with the other routes: 503 with Retry-After instead of a go-ahead", async () => {
    const token = `x-gitlab-token: ${SECRETS.gitlab}`;
    const { port } = new URL(app.url);
    // A verified request on an environment route holds 3000 bytes of the 4096.
    const holder = connect(Number(port), "127.0.0.1");
    holder.on("error", () => {});
    await new Promise<void>((resolve) => holder.once("connect", () => resolve()));
    holder.write(head("/api/gitlab/webhooks", [token], 3000));
    try {
      const answer = await eventually(async () => {
        const text = await headOnly(
          app.url,
          head(
            paths.qovery,
            [`qovery-signature: ${SECRETS_BY_KIND.qovery}`, "expect: 100-continue"],
            3000,
          ),
        );
        return text.startsWith("HTTP/1.1 100") ? undefined : text;
      });
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toMatch(/\r\nretry-after: 5\r\n/i);
    } finally {
      holder.destroy();
    }
  });
});
