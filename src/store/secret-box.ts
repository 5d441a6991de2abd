/**
 * Encryption of secrets at rest: AES-256-GCM with the key from `SHIPCAST_ENCRYPTION_KEY`. Each
 * value gets a fresh 96-bit nonce; the authentication tag makes a wrong key or a tampered value
 * an error, never garbage. The envelope is text, so both engines store it in a `text` column:
 *
 * `v1.<key id>.<nonce>.<tag>.<ciphertext>` (base64url parts)
 *
 * The key id (the first bytes of a SHA-256 of the key) says which key sealed a value, so a start
 * with a different key is refused with that reason instead of failing on the first delivery.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** Raised when a value cannot be opened: wrong key, or the stored value was changed. */
export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

/** How to make a key, for every message that asks for one. */
export const KEY_HINT =
  "set SHIPCAST_ENCRYPTION_KEY to 32 random bytes, base64 (generate one with: openssl rand -base64 32)";

export class SecretBox {
  /** Short fingerprint of the key, stored with every value it seals. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError("the encryption key must be 32 bytes");
    this.keyId = createHash("sha256").update(key).digest("base64url").slice(0, 8);
  }

  /** Seals `plaintext` (UTF-8) into an envelope. */
  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    // The key id is authenticated too: an envelope cannot be relabelled.
    cipher.setAAD(Buffer.from(this.keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ["v1", this.keyId, nonce, tag, ciphertext]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** Opens an envelope sealed with this key. Throws `SecretBoxError` otherwise. */
  open(envelope: string): string {
    const [version, keyId, nonce, tag, ciphertext] = envelope.split(".");
    if (version !== "v1" || !keyId || !nonce || !tag || ciphertext === undefined) {
      throw new SecretBoxError("not an encrypted value");
    }
    if (keyId !== this.keyId) {
      throw new SecretBoxError(
        `stored secrets were encrypted with another key (key id ${keyId}, this key is ${this.keyId})`,
      );
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64url"));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new SecretBoxError("a stored secret failed its integrity check (changed or corrupt)");
    }
  }
}

/** The key id of an envelope, without opening it. */
export function envelopeKeyId(envelope: string): string | undefined {
  const [version, keyId] = envelope.split(".");
  return version === "v1" ? keyId : undefined;
}
