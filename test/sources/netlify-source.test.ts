import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { netlifySource } from "../../src/sources/netlify-source.js";
import { type IncomingDelivery, MalformedBodyError } from "../../src/sources/source.js";

const SECRET = "nf-unit-secret";

/** A token the way Netlify makes it, with jose: HS256, iss netlify, sha256 of the bytes. */
async function token(body: Buffer | string, secret = SECRET): Promise<string> {
  return new SignJWT({ sha256: createHash("sha256").update(body).digest("hex") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(new TextEncoder().encode(secret));
}

const delivery = (rawBody: Buffer, signature: string): IncomingDelivery => ({
  headers: { "x-webhook-signature": signature },
  rawBody,
  mediaType: "application/json",
});

describe("Netlify source verification", () => {
  it("checks the token's own signature from the headers, before any body", async () => {
    expect(
      await netlifySource.verifyHeaders(SECRET, { "x-webhook-signature": await token("{}") }),
    ).toBe(true);
    expect(await netlifySource.verifyHeaders(SECRET, { "x-nf-sign": await token("{}") })).toBe(
      true,
    );
    expect(
      await netlifySource.verifyHeaders(SECRET, { "x-webhook-signature": await token("{}", "x") }),
    ).toBe(false);
    expect(await netlifySource.verifyHeaders(SECRET, {})).toBe(false);
    expect(await netlifySource.verifyHeaders(SECRET, { "x-webhook-signature": "a.b.c" })).toBe(
      false,
    );
  });

  it("matches the sha256 claim against the exact bytes, not their decoded text", async () => {
    const signedText = '{"state":"a\uFFFDb"}';
    const signature = await token(signedText);
    const tampered = Buffer.concat([
      Buffer.from('{"state":"a'),
      Buffer.from([0xff]),
      Buffer.from('b"}'),
    ]);
    expect(tampered.toString("utf8")).toBe(signedText);
    expect(await netlifySource.verifyBody?.(SECRET, delivery(tampered, signature))).toBe(false);
    expect(
      await netlifySource.verifyBody?.(SECRET, delivery(Buffer.from(signedText), signature)),
    ).toBe(true);
  });

  it("refuses a body that is not UTF-8 as malformed", () => {
    const rawBody = Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]);
    expect(() => netlifySource.accept(delivery(rawBody, "x"))).toThrow(MalformedBodyError);
  });

  it("refuses as malformed a body too deeply nested to write back once its log token is removed", () => {
    const depth = 20_000;
    const text = `{"id":"d1","state":"ready","log_access_attributes":{"token":"live"},"deep":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    expect(() => netlifySource.accept(delivery(Buffer.from(text), "x"))).toThrow(
      /nests too deeply/,
    );
  });
});
