/**
 * The two names of a build hook, and why there are two.
 *
 * - The **URL token**, the last segment of `POST /build_hooks/<token>`: 192 random bits (24 bytes,
 *   base64url, 32 characters). Knowing the URL is the credential, as with Netlify's build hooks,
 *   so it is shown once (in the answer that creates or rotates it) and stored only as its
 *   SHA-256. A plain hash is enough: the token is random and long, so there is nothing to guess
 *   or to look up in a table, and a database dump gives no usable URL. The hash is what a
 *   request is looked up by, in one probe of a unique index: the work is the same whether the
 *   hook exists or not, and the timing of an index probe on the hash of a presented value says
 *   nothing about the stored tokens (an attacker cannot steer the hash).
 * - The **id**, `bhk_` + 80 random bits: the public handle of `/api/v1/build_hooks/:id`, of the
 *   delivery log (its deliveries' target) and of the `build.requested` events. It is not a
 *   credential and reveals nothing about the URL; rotating the URL keeps it.
 */
import { createHash, randomBytes } from "node:crypto";
import { BUILD_HOOK_ID_PREFIX } from "../../notifiers/kit/build-hook.js";
import { newRandomId } from "../../store/ids.js";

/** Where build hooks are POSTed to: `/build_hooks/<token>`. */
export const BUILD_HOOK_PATH_PREFIX = "/build_hooks/";

/** Random bytes of a URL token (192 bits; at least 128 are required). */
export const URL_TOKEN_BYTES = 24;

/** Characters of the token kept (`url_hint`) to tell hooks apart. */
const HINT_LENGTH = 4;

/** `bhk_` + 16 base-32 characters (80 random bits). */
export function newBuildHookId(): string {
  return newRandomId(BUILD_HOOK_ID_PREFIX, 16);
}

/** A fresh URL token: 24 random bytes, base64url. */
export function newUrlToken(): string {
  return randomBytes(URL_TOKEN_BYTES).toString("base64url");
}

/** Hex SHA-256 of a presented or new token: the only form of it that is stored. */
export function hashUrlToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The masked URL path shown after creation: `/build_hooks/AbCd…`. */
export function urlHint(token: string): string {
  return `${BUILD_HOOK_PATH_PREFIX}${token.slice(0, HINT_LENGTH)}…`;
}
