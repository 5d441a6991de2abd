import { bitriseEventName, normalizeBitrise } from "./bitrise-normalize.js";
import { constantTimeEqual, hmacSha256Matches, sha256Hex } from "./constant-time.js";
import { flattenHeaders } from "./redact-headers.js";
import { decodeUtf8, header, parseJsonObject, type SourceDefinition } from "./source.js";

/** `sha256=` and 64 hex digits: anything else cannot be Bitrise's signature. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * The header a Bitrise hook without a secret of its own sends the source's secret in (a custom
 * header of the outgoing webhook): compared in constant time, like GitLab's token.
 */
export const BITRISE_TOKEN_HEADER = "x-shipcast-token";

/**
 * Bitrise outgoing (build) webhooks. With a secret set on the Bitrise side, each delivery carries
 * `Bitrise-Hook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`; a hook without one can send
 * the secret itself in the custom header `X-Shipcast-Token` instead.
 */
export const bitriseSource: SourceDefinition = {
  name: "bitrise",
  title: "Bitrise",
  mediaTypes: ["application/json"],

  async verifyHeaders(secret, headers) {
    const signature = header(headers, "bitrise-hook-signature");
    if (signature !== undefined) return SIGNATURE.test(signature);
    const token = header(headers, BITRISE_TOKEN_HEADER);
    return token !== undefined && constantTimeEqual(token, secret);
  },

  async verifyBody(secret, delivery) {
    const signature = header(delivery.headers, "bitrise-hook-signature");
    if (signature === undefined) {
      const token = header(delivery.headers, BITRISE_TOKEN_HEADER);
      return token !== undefined && constantTimeEqual(token, secret);
    }
    const match = SIGNATURE.exec(signature);
    if (!match || delivery.rawBody.length === 0) return false;
    return hmacSha256Matches(secret, delivery.rawBody, match[1] as string);
  },

  accept(delivery) {
    const payloadText = decodeUtf8(delivery.rawBody);
    const payload = parseJsonObject(payloadText);
    const eventName = bitriseEventName(flattenHeaders(delivery.headers), payload) ?? null;
    const build = typeof payload.build_slug === "string" ? payload.build_slug : undefined;
    // Bitrise sends no delivery id; a build reaches each event (and status) once.
    return {
      payloadText,
      eventName,
      dedupeKey: build
        ? `${build}:${eventName ?? "unknown"}:${String(payload.build_status ?? "")}`
        : `sha256:${sha256Hex(delivery.rawBody)}`,
    };
  },

  normalize: normalizeBitrise,
};
