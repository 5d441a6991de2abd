import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in constant time, whatever their lengths: both are hashed first so
 * neither the content nor the length of the expected value leaks through timing.
 */
export function constantTimeEqual(actual: string, expected: string): boolean {
  const a = createHash("sha256").update(actual).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Lower-case hex SHA-256 of the exact bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Whether `hex` is the HMAC-SHA256 of the exact bytes under `secret`, compared in constant time.
 * The bytes are never decoded: a body with an invalid UTF-8 byte is not the body whose text
 * holds U+FFFD in its place.
 */
export function hmacSha256Matches(secret: string, data: Uint8Array, hex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(data).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}
