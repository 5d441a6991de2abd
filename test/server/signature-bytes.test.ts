import { createHash, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

/** A deployment_status-like body with `middle` as raw bytes inside a string. */
const bodyWith = (middle: Buffer) =>
  Buffer.concat([
    Buffer.from('{"deployment_status":{"state":"success","description":"a'),
    middle,
    Buffer.from('b"}}'),
  ]);
const REPLACEMENT = bodyWith(Buffer.from("\uFFFD"));
const INVALID = bodyWith(Buffer.from([0xff]));

/** Netlify's JWS, made with jose over the SHA-256 of the given bytes. */
function netlifyToken(bytes: Buffer): Promise<string> {
  return new SignJWT({ sha256: createHash("sha256").update(bytes).digest("hex") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(new TextEncoder().encode(SECRETS.netlify));
}

describe("signatures on the exact bytes received", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite");
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (route: string, body: Buffer, headers: Record<string, string>) =>
    fetch(`${app.url}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: new Uint8Array(body),
    });
  const github = (body: Buffer, signature: string) =>
    post("/api/github/webhooks", body, {
      "x-github-event": "deployment_status",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signature,
    });

  it("GitHub: a signature for a body with U+FFFD does not verify the byte 0xFF in its place", async () => {
    // Decoded as UTF-8, both bodies are the same text.
    expect(INVALID.toString("utf8")).toBe(REPLACEMENT.toString("utf8"));
    const signature = await sign(SECRETS.github, REPLACEMENT.toString("utf8"));
    const forged = await github(INVALID, signature);
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ error: "missing or invalid GitHub signature" });
    expect((await github(REPLACEMENT, signature)).status).toBe(202);
  });

  it("Netlify: a token whose sha256 is of the U+FFFD body does not verify the 0xFF body", async () => {
    const token = await netlifyToken(REPLACEMENT);
    const forged = await post("/api/netlify/webhooks", INVALID, { "x-webhook-signature": token });
    expect(forged.status).toBe(401);
    const genuine = await post("/api/netlify/webhooks", REPLACEMENT, {
      "x-webhook-signature": token,
    });
    expect(genuine.status).toBe(202);
  });

  it.each([
    [
      "GitHub",
      "/api/github/webhooks",
      async () => ({ "x-hub-signature-256": githubSignature(SECRETS.github, INVALID) }),
    ],
    ["GitLab", "/api/gitlab/webhooks", async () => ({ "x-gitlab-token": SECRETS.gitlab })],
    [
      "Netlify",
      "/api/netlify/webhooks",
      async () => ({ "x-webhook-signature": await netlifyToken(INVALID) }),
    ],
  ] as const)(
    "%s: a correctly signed body that is not UTF-8 is answered 400, and the server stays up",
    async (_name, route, headers) => {
      const res = await post(route, INVALID, await headers());
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "malformed body: body is not valid UTF-8" });
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    },
  );
});
