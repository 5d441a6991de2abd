import { Agent, request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { head, headOnly } from "../helpers/request-head.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature, netlifySignature } from "../helpers/signing.js";

describe("answers decided by the headers, before the body is read", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", { MAX_PAYLOAD_BYTES: "4096" });
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ["a wrong GitLab token", "/api/gitlab/webhooks", ["x-gitlab-token: wrong"]],
    ["a missing GitLab token", "/api/gitlab/webhooks", []],
    ["a missing GitHub signature", "/api/github/webhooks", []],
    ["a malformed GitHub signature", "/api/github/webhooks", ["x-hub-signature-256: sha256=zz"]],
    [
      "a Netlify token signed with another secret",
      "/api/netlify/webhooks",
      ["x-webhook-signature: {netlify-wrong}"],
    ],
  ])("%s: 401 without waiting for the body", async (_name, route, headers) => {
    const wrong = await netlifySignature("another secret", "{}");
    const answer = await headOnly(
      app.url,
      head(
        route,
        headers.map((h) => h.replace("{netlify-wrong}", wrong)),
      ),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("a declared length above MAX_PAYLOAD_BYTES: 413 without waiting for the body", async () => {
    const answer = await headOnly(
      app.url,
      head("/api/gitlab/webhooks", [`x-gitlab-token: ${SECRETS.gitlab}`], 4097),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("a valid token waits for the body (nothing is answered from the headers alone)", async () => {
    const { port } = new URL(app.url);
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    const body = JSON.stringify({ object_kind: "deployment" });
    socket.write(head("/api/gitlab/webhooks", [`x-gitlab-token: ${SECRETS.gitlab}`], body.length));
    // The answer can only be the body's: given the head alone, the server must still be reading.
    await new Promise((r) => setTimeout(r, 200));
    expect(answer).toBe("");
    socket.write(body);
    await new Promise<void>((resolve) => socket.on("data", () => resolve()));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
  });

  it("Expect: 100-continue: a refused sender is answered without a go-ahead; a verified one gets it", async () => {
    const refused = await headOnly(app.url, head("/api/github/webhooks", ["expect: 100-continue"]));
    expect(refused).toMatch(/^HTTP\/1\.1 401 /);
    const go = await headOnly(
      app.url,
      head("/api/github/webhooks", [
        "expect: 100-continue",
        `x-hub-signature-256: ${githubSignature(SECRETS.github, "{}")}`,
      ]),
    );
    expect(go).toMatch(/^HTTP\/1\.1 100 Continue/);
  });

  it("a refused sender that sends its body anyway keeps its connection for the next request", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (token: string) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request(`${app.url}/api/gitlab/webhooks`, {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "x-gitlab-token": token },
        });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on("error", reject);
        req.end(JSON.stringify({ object_kind: "deployment", padding: "x".repeat(3000) }));
      });
    try {
      expect(await send("wrong")).toEqual({ status: 401, reused: false });
      // The unread body was discarded, not left in the way of the next request.
      expect(await send("wrong")).toEqual({ status: 401, reused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe("Expect: 100-continue with no room in MAX_INFLIGHT_BYTES", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      MAX_PAYLOAD_BYTES: "4096",
      MAX_INFLIGHT_BYTES: "4096",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("is answered 503 with Retry-After instead of a go-ahead", async () => {
    const token = `x-gitlab-token: ${SECRETS.gitlab}`;
    // A verified request that announces 3000 bytes and sends only the headers: the server
    // reserves them and waits.
    const { port } = new URL(app.url);
    const holder = connect(Number(port), "127.0.0.1");
    holder.on("error", () => {});
    await new Promise<void>((resolve) => holder.once("connect", () => resolve()));
    holder.write(head("/api/gitlab/webhooks", [token], 3000));
    try {
      const answer = await eventually(async () => {
        const text = await headOnly(
          app.url,
          head("/api/gitlab/webhooks", [token, "expect: 100-continue"], 3000),
        );
        // Until the server has seen the holder's headers, this one gets the go-ahead itself.
        return text.startsWith("HTTP/1.1 100") ? undefined : text;
      });
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toMatch(/\r\nretry-after: 5\r\n/i);
    } finally {
      holder.destroy();
    }
  });
});
