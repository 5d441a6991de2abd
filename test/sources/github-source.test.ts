import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { githubSource } from "../../src/sources/github-source.js";
import { type IncomingDelivery, MalformedBodyError } from "../../src/sources/source.js";
import { githubSignature } from "../helpers/signing.js";

const SECRET = "gh-unit-secret";

function delivery(
  rawBody: Buffer,
  signature: string | undefined,
  mediaType = "application/json",
): IncomingDelivery {
  return {
    headers: signature === undefined ? {} : { "x-hub-signature-256": signature },
    rawBody,
    mediaType,
  };
}

/** `{"ref":"a<X>b"}` with the bytes of X in the middle. */
const withBytes = (middle: Buffer) =>
  Buffer.concat([Buffer.from('{"ref":"a'), middle, Buffer.from('b"}')]);

describe("GitHub source verification", () => {
  it("accepts from the headers a signature header shaped like sha256=<64 hex>, nothing else", async () => {
    const good = await sign(SECRET, "{}");
    expect(await githubSource.verifyHeaders(SECRET, { "x-hub-signature-256": good })).toBe(true);
    for (const bad of [undefined, "", "sha256=", "sha256=zz", `sha1=${"0".repeat(40)}`, "x"]) {
      const headers = bad === undefined ? {} : { "x-hub-signature-256": bad };
      expect(await githubSource.verifyHeaders(SECRET, headers), String(bad)).toBe(false);
    }
  });

  it("verifies a signature made by @octokit/webhooks-methods over the exact bytes", async () => {
    const text = JSON.stringify({ action: "created", note: "déploiement ✓" });
    const signature = await sign(SECRET, text);
    expect(await githubSource.verifyBody?.(SECRET, delivery(Buffer.from(text), signature))).toBe(
      true,
    );
    expect(
      await githubSource.verifyBody?.(SECRET, delivery(Buffer.from(`${text} `), signature)),
    ).toBe(false);
    expect(await githubSource.verifyBody?.("other", delivery(Buffer.from(text), signature))).toBe(
      false,
    );
  });

  it("refuses the byte 0xFF where the signed text had U+FFFD (which decoding would produce)", async () => {
    const signedText = withBytes(Buffer.from("\uFFFD")).toString("utf8");
    const signature = await sign(SECRET, signedText);
    const tampered = withBytes(Buffer.from([0xff]));
    // Decoded, the two bodies are the same text: only a check on the bytes tells them apart.
    expect(tampered.toString("utf8")).toBe(signedText);
    expect(await githubSource.verifyBody?.(SECRET, delivery(tampered, signature))).toBe(false);
    expect(
      await githubSource.verifyBody?.(SECRET, delivery(Buffer.from(signedText), signature)),
    ).toBe(true);
  });

  it("refuses an empty body even with its signature", async () => {
    const empty = Buffer.alloc(0);
    expect(
      await githubSource.verifyBody?.(SECRET, delivery(empty, githubSignature(SECRET, empty))),
    ).toBe(false);
  });
});

describe("GitHub source bodies", () => {
  it("refuses a body that is not UTF-8 as malformed instead of storing U+FFFD", () => {
    expect(() => githubSource.accept(delivery(withBytes(Buffer.from([0xff])), "x"))).toThrow(
      MalformedBodyError,
    );
    expect(() => githubSource.accept(delivery(withBytes(Buffer.from([0xc3])), "x"))).toThrow(
      /not valid UTF-8/,
    );
  });

  it("keeps a byte order mark, which is not JSON, as before", () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]);
    expect(() => githubSource.accept(delivery(body, "x"))).toThrow(/not valid JSON/);
  });

  it("reads the form payload field, and refuses percent-encoded bytes that are not UTF-8", () => {
    const payload = JSON.stringify({ ref: "main", text: "a+b & ü" });
    const form = Buffer.from(`other=1&payload=${encodeURIComponent(payload)}`);
    expect(
      githubSource.accept(delivery(form, "x", "application/x-www-form-urlencoded")).payloadText,
    ).toBe(payload);
    const spaces = Buffer.from("payload=%7B%22a%22%3A%22x+y%22%7D");
    expect(
      githubSource.accept(delivery(spaces, "x", "application/x-www-form-urlencoded")).payloadText,
    ).toBe('{"a":"x y"}');
    const invalid = Buffer.from("payload=%7B%22a%22%3A%22%FF%22%7D");
    expect(() =>
      githubSource.accept(delivery(invalid, "x", "application/x-www-form-urlencoded")),
    ).toThrow(/percent-encoded UTF-8/);
    expect(() =>
      githubSource.accept(delivery(Buffer.from("a=1"), "x", "application/x-www-form-urlencoded")),
    ).toThrow(/no payload field/);
  });
});
