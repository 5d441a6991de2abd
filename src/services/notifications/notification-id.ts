/**
 * The ids of notifications created through the API: a prefix routing-file target names may not
 * use, so the two never collide and a name tells which one it is.
 */
import { newRandomId } from "../../store/ids.js";

/** Prefix of API notification ids; routing-file target names may not use it. */
export const NOTIFICATION_ID_PREFIX = "ntf_";

/** `ntf_` + 16 base-32 characters (80 random bits): short, and not guessable. */
export function newNotificationId(): string {
  return newRandomId(NOTIFICATION_ID_PREFIX, 16);
}
