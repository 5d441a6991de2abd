import { describe, expect, it } from "vitest";
import { qoverySource } from "../../src/sources/qovery-source.js";
import { fixtureText } from "../helpers/payloads.js";

const SECRET = "qovery-target-secret-0123456789";

describe("Qovery source verification", () => {
  it("accepts the secret as-is in Qovery-Signature (or Qovery-Secret), from the headers alone", async () => {
    expect(await qoverySource.verifyHeaders(SECRET, { "qovery-signature": SECRET })).toBe(true);
    expect(await qoverySource.verifyHeaders(SECRET, { "qovery-secret": SECRET })).toBe(true);
    expect(qoverySource.verifyBody).toBeUndefined();
  });

  it("refuses another value, a prefix of the secret, and no header", async () => {
    expect(await qoverySource.verifyHeaders(SECRET, { "qovery-signature": "nope" })).toBe(false);
    expect(
      await qoverySource.verifyHeaders(SECRET, { "qovery-signature": SECRET.slice(0, -1) }),
    ).toBe(false);
    expect(await qoverySource.verifyHeaders(SECRET, {})).toBe(false);
  });

  it("stores any JSON object, naming its event type, deduplicated on the body's hash", () => {
    const body = fixtureText("qovery/deployment_successful.json");
    const accepted = qoverySource.accept({
      headers: {},
      rawBody: Buffer.from(body),
      mediaType: "application/json",
    });
    expect(accepted.eventName).toBe("DEPLOYMENT_SUCCESSFUL");
    expect(accepted.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    const odd = qoverySource.accept({
      headers: {},
      rawBody: Buffer.from('{"something":"else"}'),
      mediaType: "application/json",
    });
    expect(odd.eventName).toBeNull();
  });
});
