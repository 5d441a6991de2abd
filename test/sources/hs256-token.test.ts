import { randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { verifyHs256Token } from "../../src/sources/hs256-token.js";

const SECRET = "nf-token-secret";
const key = (secret: string) => new TextEncoder().encode(secret);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function sign(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: "HS256", typ: "JWT" },
  secret = SECRET,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key(secret));
}

/** What jose decides for the same token: the claims, or undefined. */
async function joseSays(token: string, secret = SECRET) {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ["HS256"],
      issuer: "netlify",
    });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe("HS256 token verification", () => {
  it("returns the claims of a token signed with the secret and issued by the named issuer", async () => {
    const token = await sign({ iss: "netlify", sha256: "ab" });
    expect(verifyHs256Token(token, SECRET, "netlify")).toEqual({ iss: "netlify", sha256: "ab" });
  });

  it("refuses another secret, another issuer, a missing issuer and a changed claim", async () => {
    expect(verifyHs256Token(await sign({ iss: "netlify" }), "other", "netlify")).toBeUndefined();
    expect(verifyHs256Token(await sign({ iss: "shipcast" }), SECRET, "netlify")).toBeUndefined();
    expect(verifyHs256Token(await sign({ sha256: "ab" }), SECRET, "netlify")).toBeUndefined();
    const [h, , s] = (await sign({ iss: "netlify", sha256: "ab" })).split(".");
    const forged = `${h}.${b64({ iss: "netlify", sha256: "cd" })}.${s}`;
    expect(verifyHs256Token(forged, SECRET, "netlify")).toBeUndefined();
  });

  it("refuses every algorithm but HS256, alg none included, and unknown crit extensions", async () => {
    const claims = b64({ iss: "netlify" });
    expect(
      verifyHs256Token(`${b64({ alg: "none" })}.${claims}.`, SECRET, "netlify"),
    ).toBeUndefined();
    const hs512 = await sign({ iss: "netlify" }, { alg: "HS512" });
    expect(verifyHs256Token(hs512, SECRET, "netlify")).toBeUndefined();
    const crit = await sign({ iss: "netlify" }, { alg: "HS256", crit: ["x"], x: 1 }).catch(
      () => undefined,
    );
    if (crit !== undefined) expect(verifyHs256Token(crit, SECRET, "netlify")).toBeUndefined();
  });

  it("honours exp and nbf, and requires a numeric iat", async () => {
    const now = 1_800_000_000;
    const at = (claims: Record<string, unknown>) => sign({ iss: "netlify", ...claims });
    expect(verifyHs256Token(await at({ exp: now + 10 }), SECRET, "netlify", now)).toBeDefined();
    expect(verifyHs256Token(await at({ exp: now }), SECRET, "netlify", now)).toBeUndefined();
    expect(verifyHs256Token(await at({ exp: "later" }), SECRET, "netlify", now)).toBeUndefined();
    expect(verifyHs256Token(await at({ nbf: now + 10 }), SECRET, "netlify", now)).toBeUndefined();
    expect(verifyHs256Token(await at({ nbf: now }), SECRET, "netlify", now)).toBeDefined();
    expect(verifyHs256Token(await at({ iat: "x" }), SECRET, "netlify", now)).toBeUndefined();
  });

  it("refuses malformed tokens: wrong part count, padding, other alphabets, a signature with a changed last character", async () => {
    const token = await sign({ iss: "netlify" });
    const [h, c, s = ""] = token.split(".");
    for (const bad of [
      "",
      "a.b",
      "a.b.c.d",
      `${h}.${c}.${s}=`,
      `${h}.${c}.${s.replace(/-/g, "+").replace(/_/g, "/")}+`,
      `${h}.${c}.${s.slice(0, -1)}${s.endsWith("A") ? "B" : "A"}`,
      `${h} .${c}.${s}`,
      `${"x".repeat(10_000)}.${c}.${s}`,
    ]) {
      expect(verifyHs256Token(bad, SECRET, "netlify"), bad.slice(0, 40)).toBeUndefined();
    }
  });

  it("never accepts a random mutation of a valid token that jose refuses", async () => {
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sign({ iss: i % 5 === 0 ? "other" : "netlify", sha256: randomBytes(32).toString("hex") }),
      ),
    );
    const alphabet = "ABCxyz019-_.=+/ ";
    let checked = 0;
    for (const token of tokens) {
      for (let n = 0; n < 25; n++) {
        const chars = [...token];
        const at = Math.floor(Math.random() * chars.length);
        chars[at] = alphabet[Math.floor(Math.random() * alphabet.length)] ?? "A";
        const mutated = n === 0 ? token : chars.join("");
        const ours = verifyHs256Token(mutated, SECRET, "netlify");
        const theirs = await joseSays(mutated);
        // Never accepts what jose refuses, with the same claims when both accept.
        if (ours !== undefined) expect(theirs, mutated).toEqual(ours);
        // Stricter only where jose decodes leniently: a signature whose text is not the
        // canonical base64url of the HMAC (a changed last character with the same bits).
        if (theirs !== undefined && ours === undefined) {
          expect(mutated.split(".").slice(0, 2)).toEqual(token.split(".").slice(0, 2));
          expect(mutated.split(".")[2]).not.toBe(token.split(".")[2]);
        }
        checked++;
      }
    }
    expect(checked).toBe(500);
  });
});
