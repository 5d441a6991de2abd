/**
 * The ids of sources created through the API. The id is part of the source's URL
 * (`/api/sources/<id>/webhooks`), so it is random: a sender's URL says nothing about the others.
 */
import { randomBytes } from "node:crypto";

/** Prefix of API source ids. */
export const SOURCE_ID_PREFIX = "src_";

const SLUG_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `src_` + 20 base-32 characters (100 random bits). */
export function newSourceId(): string {
  const bytes = randomBytes(20);
  let slug = "";
  for (const byte of bytes) slug += SLUG_ALPHABET[byte & 31];
  return `${SOURCE_ID_PREFIX}${slug}`;
}

/** The path a source receives its webhooks on. */
export function sourceWebhookPath(id: string): string {
  return `/api/sources/${id}/webhooks`;
}
