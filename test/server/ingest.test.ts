import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEvent } from "../../src/store/events-repository.js";
import { ENGINES } from "../helpers/databases.js";
import { fixtureText, githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";

const deploymentStatus = githubExamplesOf("deployment_status")[0] as Record<string, unknown>;
const netlifyCreated = fixtureText("netlify/deploy_created.deploy-preview.json");
const netlifyFailed = fixtureText("netlify/deploy_failed.deploy-preview.json");
const gitlabDeployment = fixtureText("gitlab/deployment.json");
const gitlabNote = fixtureText("gitlab/note_merge_request.json");

describe.each(ENGINES)("ingest on %s", (engine) => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast(engine);
  });
  afterAll(async () => {
    await app.close();
  });

  async function postGithub(body: string, headers: Record<string, string> = {}) {
    return fetch(`${app.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "deployment_status",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(SECRETS.github, body),
        ...headers,
      },
      body,
    });
  }

  async function stored(id: string) {
    return eventually(async () => {
      const row = await getEvent(app.shipcast.store.db, id);
      return row && row.status !== "pending" ? row : undefined;
    });
  }

  describe("GitHub", () => {
    it("acknowledges a signed deployment_status with 202 and its id, then normalizes it", async () => {
      const body = JSON.stringify(deploymentStatus);
      const res = await postGithub(body);
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      expect(id).toMatch(/^evt_[0-9A-Z]{26}$/);
      const row = await stored(id);
      expect(row.status).toBe("processed");
      expect(row.event_name).toBe("deployment_status");
      const event = JSON.parse(row.normalized ?? "null");
      expect(event.source).toBe("github");
      expect(event.kind).toMatch(/^deploy\./);
    });

    it("answers a redelivery (same X-GitHub-Delivery) with the same id and stores it once", async () => {
      const body = JSON.stringify(deploymentStatus);
      const delivery = randomUUID();
      const first = await postGithub(body, { "x-github-delivery": delivery });
      const second = await postGithub(body, { "x-github-delivery": delivery });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      const a = (await first.json()) as { id: string };
      const b = (await second.json()) as { id: string; duplicate?: boolean };
      expect(b.id).toBe(a.id);
      expect(b.duplicate).toBe(true);
      const count = await app.shipcast.store.db
        .selectFrom("events")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("dedupe_key", "=", delivery)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it("accepts form-encoded deliveries (payload=) signed over the form body", async () => {
      const form = new URLSearchParams({ payload: JSON.stringify(deploymentStatus) }).toString();
      const res = await postGithub(form, { "content-type": "application/x-www-form-urlencoded" });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const row = await stored(id);
      expect(row.status).toBe("processed");
      expect(JSON.parse(row.body ?? "null")).toEqual(deploymentStatus);
    });

    it("verifies GitHub's published check value (It's a Secret to Everybody)", async () => {
      const other = await startTestShipcast(engine, {
        WEBHOOK_SECRET: "It's a Secret to Everybody",
      });
      try {
        // The published body is not JSON: a valid signature on it must get past 401 to 400.
        const res = await fetch(`${other.url}/api/github/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-hub-signature-256":
              "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
          },
          body: "Hello, World!",
        });
        expect(res.status).toBe(400);
      } finally {
        await other.close();
      }
    });

    it.each([
      ["a missing signature", { "x-hub-signature-256": "" }],
      ["a wrong signature", { "x-hub-signature-256": githubSignature("wrong", "{}") }],
      ["a signature made with another secret", { "x-hub-signature-256": "sha256=00" }],
      [
        "only the legacy SHA-1 header",
        { "x-hub-signature-256": "", "x-hub-signature": "sha1=0123456789abcdef" },
      ],
    ])("rejects %s with 401 and stores nothing", async (_name, headers) => {
      const before = await countEvents();
      const res = await postGithub(JSON.stringify(deploymentStatus), headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "missing or invalid GitHub signature" });
      expect(await countEvents()).toBe(before);
    });

    it("rejects a signed body that is not a JSON object with 400", async () => {
      for (const body of ["{not json", "[1,2]", "null", '"text"']) {
        const res = await postGithub(body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(/^malformed body/);
      }
    });

    it("rejects other content types with 415", async () => {
      const body = JSON.stringify(deploymentStatus);
      const res = await postGithub(body, { "content-type": "text/plain" });
      expect(res.status).toBe(415);
    });

    it("records events it does not use (push) as ignored with the reason", async () => {
      const body = JSON.stringify(githubExamplesOf("push")[0]);
      const res = await postGithub(body, { "x-github-event": "push" });
      expect(res.status).toBe(202);
      const row = await stored(((await res.json()) as { id: string }).id);
      expect(row.status).toBe("ignored");
      expect(row.reason).toContain("push");
    });

    it("stores headers with the signature redacted", async () => {
      const res = await postGithub(JSON.stringify(deploymentStatus));
      const row = await stored(((await res.json()) as { id: string }).id);
      const headers = JSON.parse(row.headers ?? "{}") as Record<string, string>;
      expect(headers["x-hub-signature-256"]).toBe("[redacted]");
      expect(row.headers).not.toContain(SECRETS.github);
    });
  });

  describe("GitLab", () => {
    async function postGitlab(body: string, headers: Record<string, string> = {}) {
      return fetch(`${app.url}/api/gitlab/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-gitlab-event": "Deployment Hook",
          "x-gitlab-token": SECRETS.gitlab,
          "x-gitlab-event-uuid": randomUUID(),
          "x-gitlab-webhook-uuid": "2d7c7b1f-0000-4000-8000-000000000001",
          ...headers,
        },
        body,
      });
    }

    it("acknowledges a Deployment Hook with the right token and normalizes it", async () => {
      const res = await postGitlab(gitlabDeployment);
      expect(res.status).toBe(202);
      const row = await stored(((await res.json()) as { id: string }).id);
      expect(row.status).toBe("processed");
      const event = JSON.parse(row.normalized ?? "null");
      expect(event.kind).toBe("deploy.succeeded");
      expect(event.commit.sha).toBe("279484c09fbe69ededfced8c1bb6e6d24616b468");
      expect(row.headers).not.toContain(SECRETS.gitlab);
    });

    it("rejects a wrong or missing token with 401", async () => {
      expect((await postGitlab(gitlabDeployment, { "x-gitlab-token": "nope" })).status).toBe(401);
      expect((await postGitlab(gitlabDeployment, { "x-gitlab-token": "" })).status).toBe(401);
    });

    it("dedupes on Idempotency-Key, else on the event and webhook UUIDs", async () => {
      const key = randomUUID();
      const a = await postGitlab(gitlabDeployment, { "idempotency-key": key });
      const b = await postGitlab(gitlabDeployment, { "idempotency-key": key });
      expect(((await b.json()) as { id: string }).id).toBe(((await a.json()) as { id: string }).id);
      const uuid = randomUUID();
      const c = await postGitlab(gitlabDeployment, { "x-gitlab-event-uuid": uuid });
      const d = await postGitlab(gitlabDeployment, { "x-gitlab-event-uuid": uuid });
      expect(((await d.json()) as { id: string }).id).toBe(((await c.json()) as { id: string }).id);
    });

    it("answers a Note Hook 202 (GitLab disables hooks on 4xx) and records it as ignored", async () => {
      const res = await postGitlab(gitlabNote, { "x-gitlab-event": "Note Hook" });
      expect(res.status).toBe(202);
      const row = await stored(((await res.json()) as { id: string }).id);
      expect(row.status).toBe("ignored");
      expect(row.reason).toContain("Note Hook");
    });
  });

  describe("Netlify", () => {
    async function postNetlify(
      body: string,
      headers: Record<string, string> = {},
      signatureHeader = "x-webhook-signature",
    ) {
      return fetch(`${app.url}/api/netlify/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [signatureHeader]: await netlifySignature(SECRETS.netlify, body),
          ...headers,
        },
        body,
      });
    }

    it("acknowledges the real deploy_created fixture and strips the log token before storing", async () => {
      const res = await postNetlify(netlifyCreated, { "x-netlify-event": "deploy_created" });
      expect(res.status).toBe(202);
      const row = await stored(((await res.json()) as { id: string }).id);
      expect(row.status).toBe("processed");
      const token = JSON.parse(netlifyCreated).log_access_attributes.token as string;
      expect(row.body).not.toContain(token);
      expect(row.normalized).not.toContain(token);
      expect(JSON.parse(row.normalized ?? "null").kind).toBe("deploy.succeeded");
    });

    it("accepts the signature in X-Nf-Sign too, and takes the event from state without a header", async () => {
      const res = await postNetlify(netlifyFailed, {}, "x-nf-sign");
      expect(res.status).toBe(202);
      const row = await stored(((await res.json()) as { id: string }).id);
      expect(row.event_name).toBe("deploy_failed");
      expect(JSON.parse(row.normalized ?? "null").kind).toBe("deploy.failed");
    });

    it("dedupes on deploy id + event name", async () => {
      const body = JSON.stringify({ ...JSON.parse(netlifyCreated), id: randomUUID() });
      const a = await postNetlify(body, { "x-netlify-event": "deploy_created" });
      const b = await postNetlify(body, { "x-netlify-event": "deploy_created" });
      const c = await postNetlify(body, { "x-netlify-event": "deploy_building" });
      const ids = await Promise.all(
        [a, b, c].map(async (r) => ((await r.json()) as { id: string }).id),
      );
      expect(ids[1]).toBe(ids[0]);
      expect(ids[2]).not.toBe(ids[0]);
    });

    it.each([
      ["a wrong secret", async (body: string) => netlifySignature("wrong-secret", body)],
      [
        "another issuer",
        async (body: string) => netlifySignature(SECRETS.netlify, body, { iss: "evil" }),
      ],
      [
        "a sha256 claim for another body",
        async (body: string) => netlifySignature(SECRETS.netlify, `${body} `),
      ],
      [
        "HS512 instead of HS256",
        async (body: string) => netlifySignature(SECRETS.netlify, body, { alg: "HS512" }),
      ],
      [
        "an unsigned token (alg none)",
        async (body: string) => {
          const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
          const sha256 = (await import("node:crypto"))
            .createHash("sha256")
            .update(body)
            .digest("hex");
          return `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: "netlify", sha256 })}.`;
        },
      ],
    ])("rejects %s with 401", async (_name, sign) => {
      const token = await sign(netlifyCreated);
      const res = await postNetlify(netlifyCreated, { "x-webhook-signature": token });
      expect(res.status).toBe(401);
    });
  });

  describe("limits and switches", () => {
    it("answers 413 from Content-Length before reading a body above MAX_PAYLOAD_BYTES", async () => {
      const small = await startTestShipcast(engine, { MAX_PAYLOAD_BYTES: "1024" });
      try {
        const body = JSON.stringify({ padding: "x".repeat(4096) });
        const res = await fetch(`${small.url}/api/github/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-hub-signature-256": githubSignature(SECRETS.github, body),
          },
          body,
        });
        expect(res.status).toBe(413);
      } finally {
        await small.close();
      }
    });

    it("answers 413 while streaming a chunked body, without waiting for its end", async () => {
      const small = await startTestShipcast(engine, { MAX_PAYLOAD_BYTES: "1024" });
      try {
        // A token that verifies on its own, so the body is read (its hash is checked after).
        const token = await netlifySignature(SECRETS.netlify, "another body");
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(`${small.url}/api/netlify/webhooks`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "transfer-encoding": "chunked",
              "x-webhook-signature": token,
            },
          });
          req.on("response", (res) => resolve(res.statusCode ?? 0));
          req.on("error", reject);
          // 2 KB now, and the request is never ended: only a streaming check can answer.
          req.write("x".repeat(2048));
        });
        expect(status).toBe(413);
      } finally {
        await small.close();
      }
    });

    it("answers 503 naming the setting when a source has no secret", async () => {
      const off = await startTestShipcast(engine, { GITLAB_WEBHOOK_SECRET: "" });
      try {
        const res = await fetch(`${off.url}/api/gitlab/webhooks`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-gitlab-token": "anything" },
          body: gitlabDeployment,
        });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: string }).error).toContain("GITLAB_WEBHOOK_SECRET");
      } finally {
        await off.close();
      }
    });

    it("answers 405 to other methods on a source route", async () => {
      const res = await fetch(`${app.url}/api/github/webhooks`);
      expect(res.status).toBe(405);
    });
  });

  async function countEvents(): Promise<number> {
    const row = await app.shipcast.store.db
      .selectFrom("events")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
});
