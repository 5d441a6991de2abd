/**
 * The ids of sources created through the API. The id is part of the source's URL
 * (`/api/sources/<id>/webhooks`), so it is random: a sender's URL says nothing about the others.
 */
import { newRandomId } from "../../store/ids.js";

/** Prefix of API source ids. */
export const SOURCE_ID_PREFIX = "src_";

/** `src_` + 20 base-32 characters (100 random bits). */
export function newSourceId(): string {
  return newRandomId(SOURCE_ID_PREFIX, 20);
}

/** The path a source receives its webhooks on. */
export function sourceWebhookPath(id: string): string {
  return `/api/sources/${id}/webhooks`;
}
