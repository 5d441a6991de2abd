/**
 * The ids of notifications created through the API: a prefix routing-file target names may not
 * use, so the two never collide and a name tells which one it is.
 */
import { randomBytes } from "node:crypto";

/** Prefix of API notification ids; routing-file target names may not use it. */
export const NOTIFICATION_ID_PREFIX = "ntf_";

const SLUG_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `ntf_` + 16 base-32 characters (80 random bits): short, and not guessable. */
export function newNotificationId(): string {
  const bytes = randomBytes(16);
  let slug = "";
  for (const byte of bytes) slug += SLUG_ALPHABET[byte & 31];
  return `${NOTIFICATION_ID_PREFIX}${slug}`;
}
