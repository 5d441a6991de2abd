import { createHash, timingSafeEqual } from "node:crypto";

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
