import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bitriseSource } from "../../src/sources/bitrise-source.js";
import type { IncomingDelivery } from "../../src/sources/source.js";
import { fixtureText } from "../helpers/payloads.js";

const SECRET = "bitrise-hook-secret-0123456789";
const BODY = fixtureText("bitrise/build_finished.json");

/** Bitrise's signature, computed with Node's crypto the way Bitrise documents it. */
const signature = (body: string | Buffer, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

function delivery(headers: Record<string, string>, body: string | Buffer): IncomingDelivery {
  return {
    headers,
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    mediaType: "application/json",
  };
}

async function verifies(headers: Record<string, string>, body: string | Buffer) {
  return (
    (await bitriseSource.verifyHeaders(SECRET, headers)) &&
    (await bitriseSource.verifyBody?.(SECRET, delivery(headers, body))) === true
  );
}

describe("Bitrise source verification", () => {
  it("accepts Bitrise-Hook-Signature over the exact body, and nothing else", async () => {
    expect(await verifies({ "bitrise-hook-signature": signature(BODY) }, BODY)).toBe(true);
    expect(await verifies({ "bitrise-hook-signature": signature(BODY, "other") }, BODY)).toBe(
      false,
    );
    expect(await verifies({ "bitrise-hook-signature": signature(BODY) }, `${BODY} `)).toBe(false);
  });

  it("refuses a malformed signature from the headers alone", async () => {
    expect(await bitriseSource.verifyHeaders(SECRET, { "bitrise-hook-signature": "sha1=00" })).toBe(
      false,
    );
    expect(await bitriseSource.verifyHeaders(SECRET, {})).toBe(false);
  });

  it("accepts the secret itself in X-Shipcast-Token, for a hook without a secret of its own", async () => {
    expect(await verifies({ "x-shipcast-token": SECRET }, BODY)).toBe(true);
    expect(await bitriseSource.verifyHeaders(SECRET, { "x-shipcast-token": `${SECRET}x` })).toBe(
      false,
    );
  });

  it("deduplicates on the build, its event and status", () => {
    const accepted = bitriseSource.accept(
      delivery({ "bitrise-event-type": "build/finished" }, BODY),
    );
    expect(accepted.eventName).toBe("build/finished");
    expect(accepted.dedupeKey).toBe("1234abcd:build/finished:1");
  });
});
