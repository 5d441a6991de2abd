import { randomBytes } from "node:crypto";
import { sign as hubSign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { genericSource } from "../../src/sources/generic-source.js";
import { type IncomingDelivery, MalformedBodyError } from "../../src/sources/source.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const BODY = JSON.stringify({ kind: "deploy.succeeded", project: "web", environment: "prod" });

/** Standard Webhooks headers made by the reference library, not by Shipcast. */
function standardHeaders(body: string, secret = SECRET, at = new Date(), id = "msg_1") {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

function delivery(headers: Record<string, string>, body: string | Buffer): IncomingDelivery {
  return {
    headers,
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    mediaType: "application/json",
  };
}

async function verifies(headers: Record<string, string>, body: string | Buffer, secret = SECRET) {
  return (
    (await genericSource.verifyHeaders(secret, headers)) &&
    (await genericSource.verifyBody?.(secret, delivery(headers, body))) === true
  );
}

describe("generic source verification", () => {
  it("accepts a Standard Webhooks signature made by the standardwebhooks library", async () => {
    expect(await verifies(standardHeaders(BODY), BODY)).toBe(true);
  });

  it("accepts one good signature among several (a sender rotating its secret signs twice)", async () => {
    const other = `whsec_${randomBytes(32).toString("base64")}`;
    const good = standardHeaders(BODY);
    const stale = standardHeaders(BODY, other);
    const headers = {
      ...good,
      "webhook-signature": `${stale["webhook-signature"]} ${good["webhook-signature"]}`,
    };
    expect(await verifies(headers, BODY)).toBe(true);
  });

  it("refuses another secret's signature, a changed body, and a changed id", async () => {
    const other = `whsec_${randomBytes(32).toString("base64")}`;
    expect(await verifies(standardHeaders(BODY, other), BODY)).toBe(false);
    expect(await verifies(standardHeaders(BODY), `${BODY} `)).toBe(false);
    expect(await verifies({ ...standardHeaders(BODY), "webhook-id": "msg_2" }, BODY)).toBe(false);
  });

  it("refuses from the headers alone a timestamp more than 5 minutes away, either way", async () => {
    const now = Date.now();
    const early = standardHeaders(BODY, SECRET, new Date(now - 5 * 60_000 - 10_000));
    const late = standardHeaders(BODY, SECRET, new Date(now + 5 * 60_000 + 10_000));
    const fresh = standardHeaders(BODY, SECRET, new Date(now - 4 * 60_000));
    expect(await genericSource.verifyHeaders(SECRET, early)).toBe(false);
    expect(await genericSource.verifyHeaders(SECRET, late)).toBe(false);
    expect(await genericSource.verifyHeaders(SECRET, fresh)).toBe(true);
  });

  it("refuses incomplete Standard Webhooks headers without falling back to X-Hub-Signature-256", async () => {
    const { "webhook-id": _id, ...withoutId } = standardHeaders(BODY);
    const hub = await hubSign(SECRET, BODY);
    expect(
      await genericSource.verifyHeaders(SECRET, { ...withoutId, "x-hub-signature-256": hub }),
    ).toBe(false);
  });

  it("accepts X-Hub-Signature-256 made by @octokit/webhooks-methods with the whsec_ text as key", async () => {
    const headers = { "x-hub-signature-256": await hubSign(SECRET, BODY) };
    expect(await verifies(headers, BODY)).toBe(true);
    expect(await verifies(headers, `${BODY}\n`)).toBe(false);
    expect(await genericSource.verifyHeaders(SECRET, {})).toBe(false);
  });

  it("checks the exact bytes: a body with an invalid UTF-8 byte is not its decoded text", async () => {
    const text = '{"kind":"deploy.started","project":"a\uFFFDb","environment":"x"}';
    const headers = standardHeaders(text);
    const bytes = Buffer.concat([
      Buffer.from('{"kind":"deploy.started","project":"a'),
      Buffer.from([0xff]),
      Buffer.from('b","environment":"x"}'),
    ]);
    expect(bytes.toString("utf8")).toBe(text);
    expect(await verifies(headers, bytes)).toBe(false);
  });
});

describe("generic source bodies", () => {
  it("takes a valid report, deduplicating on webhook-id, else on the body's hash", () => {
    const accepted = genericSource.accept(delivery({ "webhook-id": "msg_9" }, BODY));
    expect(accepted).toEqual({
      payloadText: BODY,
      eventName: "deploy.succeeded",
      dedupeKey: "webhook-id:msg_9",
    });
    expect(genericSource.accept(delivery({}, BODY)).dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("refuses a report that does not match the format, naming every problem", () => {
    const body = JSON.stringify({ kind: "deploy.succeeded", project: "web", sha: "abc" });
    expect(() => genericSource.accept(delivery({}, body))).toThrow(MalformedBodyError);
    expect(() => genericSource.accept(delivery({}, body))).toThrow(
      /environment: .*; sha: must be a full commit sha/,
    );
  });

  it("wants a Standard Webhooks secret", () => {
    expect(genericSource.secretProblem?.(SECRET)).toBeUndefined();
    expect(genericSource.secretProblem?.("a-plain-secret-0123456789")).toMatch(/whsec_/);
  });
});
