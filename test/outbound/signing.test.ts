import { createHash, randomBytes } from "node:crypto";
import { verify as verifyHubSignature } from "@octokit/webhooks-methods";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  hubSignature256,
  isStandardWebhooksSecret,
  netlifyJws,
  standardWebhookHeaders,
} from "../../src/outbound/signing.js";

const BODY = JSON.stringify({
  id: "evt_01JB8ZK4Q6V2S0M4H5D3F1B2C3",
  kind: "deploy.succeeded",
  project: { name: "café ☕" },
});

function whsec(bytes = 32): string {
  return `whsec_${randomBytes(bytes).toString("base64")}`;
}

function sha256Hex(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("hubSignature256", () => {
  const secret = "hub secret, with spaces and ünïcode";

  it("is verified by @octokit/webhooks-methods on the same body", async () => {
    const signature = hubSignature256(secret, BODY);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    await expect(verifyHubSignature(secret, BODY, signature)).resolves.toBe(true);
  });

  it("matches GitHub's documented test vector", () => {
    // docs.github.com, "Validating webhook deliveries", "Testing the webhook payload validation".
    expect(hubSignature256("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("signs bytes and the same text alike", () => {
    expect(hubSignature256(secret, Buffer.from(BODY, "utf8"))).toBe(hubSignature256(secret, BODY));
  });

  it("fails verification for a tampered body or another secret", async () => {
    const signature = hubSignature256(secret, BODY);
    await expect(verifyHubSignature(secret, `${BODY} `, signature)).resolves.toBe(false);
    await expect(verifyHubSignature("another secret", BODY, signature)).resolves.toBe(false);
  });
});

describe("netlifyJws", () => {
  const secret = "jws secret 0123456789";
  const key = new TextEncoder().encode(secret);

  it("is an HS256 JWT that jose verifies, issued by shipcast, carrying the body's sha256", async () => {
    const token = await netlifyJws(secret, BODY);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: "shipcast",
      maxTokenAge: "5 minutes",
    });
    expect(payload.iss).toBe("shipcast");
    expect(payload.sha256).toBe(sha256Hex(BODY));
    expect(typeof payload.iat).toBe("number");
  });

  it("takes its issue time from the clock given", async () => {
    const token = await netlifyJws(secret, BODY, new Date("2026-01-02T03:04:05Z"));
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      currentDate: new Date("2026-01-02T03:04:10Z"),
    });
    expect(payload.iat).toBe(Date.parse("2026-01-02T03:04:05Z") / 1000);
  });

  it("does not vouch for a tampered body, and fails under another secret", async () => {
    const token = await netlifyJws(secret, BODY);
    const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
    // The receiver's check: the claim must equal the hash of the bytes it received.
    expect(payload.sha256).not.toBe(sha256Hex(`${BODY} `));
    await expect(
      jwtVerify(token, new TextEncoder().encode("another secret"), { algorithms: ["HS256"] }),
    ).rejects.toThrow(/signature verification failed/);
  });

  it("refuses an empty secret", async () => {
    await expect(netlifyJws("", BODY)).rejects.toThrow(TypeError);
  });
});

describe("isStandardWebhooksSecret", () => {
  it("accepts whsec_ and base64 of a 24 to 64 byte key", () => {
    expect(isStandardWebhooksSecret(whsec(24))).toBe(true);
    expect(isStandardWebhooksSecret(whsec(32))).toBe(true);
    expect(isStandardWebhooksSecret(whsec(64))).toBe(true);
    // The example secret of the Standard Webhooks spec and reference libraries.
    expect(isStandardWebhooksSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(true);
  });

  it("refuses other text, keys of the wrong size and non-canonical base64", () => {
    const raw = randomBytes(32).toString("base64");
    expect(isStandardWebhooksSecret(raw)).toBe(false);
    expect(isStandardWebhooksSecret("whsec_")).toBe(false);
    expect(isStandardWebhooksSecret(whsec(16))).toBe(false);
    expect(isStandardWebhooksSecret(whsec(65))).toBe(false);
    expect(isStandardWebhooksSecret(`whsec_${"A".repeat(31)}`)).toBe(false);
    expect(isStandardWebhooksSecret(`whsec_${raw.slice(0, 20)}!${raw.slice(21)}`)).toBe(false);
    expect(isStandardWebhooksSecret(`whsec_${randomBytes(32).toString("base64url")}_-`)).toBe(
      false,
    );
    expect(isStandardWebhooksSecret(`WHSEC_${raw}`)).toBe(false);
  });
});

describe("standardWebhookHeaders", () => {
  it("gives headers the standardwebhooks library verifies", () => {
    const secret = whsec();
    const timestamp = nowSeconds();
    const headers = standardWebhookHeaders({
      id: "dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3",
      timestamp,
      body: BODY,
      secrets: [secret],
    });
    expect(headers["webhook-id"]).toBe("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3");
    expect(headers["webhook-timestamp"]).toBe(String(timestamp));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    // The same signature the reference library computes.
    expect(headers["webhook-signature"]).toBe(
      new Webhook(secret).sign("dlv_01JB8ZK4Q6V2S0M4H5D3F1B2C3", new Date(timestamp * 1000), BODY),
    );
  });

  it("signs with every secret during a rotation, so a receiver with either one verifies", () => {
    const oldSecret = whsec();
    const newSecret = whsec(24);
    const headers = standardWebhookHeaders({
      id: "dlv_rotation",
      timestamp: nowSeconds(),
      body: BODY,
      secrets: [oldSecret, newSecret],
    });
    const signatures = headers["webhook-signature"].split(" ");
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature.startsWith("v1,")).toBe(true);
    // A receiver that knows only the old secret, and one that already has only the new one.
    expect(() => new Webhook(oldSecret).verify(BODY, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSecret).verify(BODY, { ...headers })).not.toThrow();
    expect(() => new Webhook(whsec()).verify(BODY, { ...headers })).toThrow(
      /No matching signature/,
    );
  });

  it("signs once per distinct secret", () => {
    const secret = whsec();
    const headers = standardWebhookHeaders({
      id: "dlv_twice",
      timestamp: nowSeconds(),
      body: BODY,
      secrets: [secret, secret],
    });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(1);
  });

  it("fails verification when the body, id or timestamp is tampered with", () => {
    const secret = whsec();
    const timestamp = nowSeconds();
    const headers = standardWebhookHeaders({
      id: "dlv_1",
      timestamp,
      body: BODY,
      secrets: [secret],
    });
    const receiver = new Webhook(secret);
    expect(() => receiver.verify(`${BODY} `, { ...headers })).toThrow(/No matching signature/);
    expect(() => receiver.verify(BODY, { ...headers, "webhook-id": "dlv_2" })).toThrow(
      /No matching signature/,
    );
    expect(() =>
      receiver.verify(BODY, { ...headers, "webhook-timestamp": String(timestamp - 1) }),
    ).toThrow(/No matching signature/);
  });

  it("signs bytes as the same text, and takes the base64 without whsec_ as the same key", () => {
    const secret = whsec();
    const message = { id: "dlv_bytes", timestamp: nowSeconds(), secrets: [secret] };
    const fromText = standardWebhookHeaders({ ...message, body: BODY });
    const fromBytes = standardWebhookHeaders({ ...message, body: Buffer.from(BODY, "utf8") });
    const unprefixed = standardWebhookHeaders({
      ...message,
      body: BODY,
      secrets: [secret.slice("whsec_".length)],
    });
    expect(fromBytes).toEqual(fromText);
    expect(unprefixed).toEqual(fromText);
  });

  it("refuses what would make a signature no receiver can check, without quoting the secret", () => {
    const message = { id: "dlv_1", timestamp: nowSeconds(), body: BODY };
    const notBase64 = "whsec_not base64 at all!";
    expect(() => standardWebhookHeaders({ ...message, secrets: [] })).toThrow(TypeError);
    expect(() => standardWebhookHeaders({ ...message, secrets: [notBase64] })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("not base64 at all") }),
    );
    expect(() => standardWebhookHeaders({ ...message, id: "a.b", secrets: [whsec()] })).toThrow(
      TypeError,
    );
    expect(() => standardWebhookHeaders({ ...message, id: "", secrets: [whsec()] })).toThrow(
      TypeError,
    );
    expect(() =>
      standardWebhookHeaders({ ...message, timestamp: 1.5, secrets: [whsec()] }),
    ).toThrow(TypeError);
  });
});
