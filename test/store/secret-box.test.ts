import { describe, expect, it } from "vitest";
import { envelopeKeyId, SecretBox, SecretBoxError } from "../../src/store/secret-box.js";

const box = new SecretBox(Buffer.alloc(32, 1));

describe("SecretBox", () => {
  it("seals with a fresh nonce each time and opens what it sealed", () => {
    const a = box.seal("the secret");
    const b = box.seal("the secret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("the secret");
    expect(box.open(a)).toBe("the secret");
    expect(envelopeKeyId(a)).toBe(box.keyId);
  });

  it("refuses another key with both key ids named", () => {
    const other = new SecretBox(Buffer.alloc(32, 2));
    expect(() => other.open(box.seal("x"))).toThrow(/another key/);
  });

  it("refuses a tampered value instead of returning garbage", () => {
    const sealed = box.seal("the secret").split(".");
    const ciphertext = Buffer.from(sealed[4] as string, "base64url");
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    sealed[4] = ciphertext.toString("base64url");
    expect(() => box.open(sealed.join("."))).toThrow(SecretBoxError);
    expect(() => box.open("plain text")).toThrow(/not an encrypted value/);
  });

  it("needs a 32-byte key", () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
