import { sha256Hex } from "./constant-time.js";
import { verifyHs256Token } from "./hs256-token.js";
import { netlifyEventName, normalizeNetlify } from "./netlify-normalize.js";
import { flattenHeaders } from "./redact-headers.js";
import {
  decodeUtf8,
  type EnvironmentSource,
  header,
  type IncomingHeaders,
  MalformedBodyError,
  parseJsonObject,
} from "./source.js";

/**
 * Netlify deploy notifications ("outgoing webhooks"). The signature is a JWS (HS256) in
 * `X-Webhook-Signature` (or `X-Nf-Sign`, its older name) whose `sha256` claim must equal the
 * hash of the exact body bytes. The token's own signature is checked from the headers, before
 * the body is read; the claim against the body after.
 */
export const netlifySource: EnvironmentSource = {
  name: "netlify",
  title: "Netlify",
  route: "/api/netlify/webhooks",
  secretSetting: "NETLIFY_JWS_SECRET",
  mediaTypes: ["application/json"],
  signatureHeaders: ["X-Webhook-Signature", "X-Nf-Sign"],
  // Netlify sends no delivery id: the log shows the deploy id and state (the dedupe key).

  async verifyHeaders(secret, headers) {
    return signedBodyHash(secret, headers) !== undefined;
  },

  async verifyBody(secret, delivery) {
    const claimed = signedBodyHash(secret, delivery.headers);
    return claimed !== undefined && claimed === sha256Hex(delivery.rawBody);
  },

  accept(delivery) {
    let payloadText = decodeUtf8(delivery.rawBody);
    const payload = parseJsonObject(payloadText);
    const eventName = netlifyEventName(flattenHeaders(delivery.headers), payload) ?? null;
    if (stripLogToken(payload)) payloadText = serialize(payload);
    const deployId = typeof payload.id === "string" ? payload.id : undefined;
    return {
      payloadText,
      eventName,
      // Netlify has no delivery id; a deploy reaches each state once.
      dedupeKey: deployId
        ? `${deployId}:${eventName ?? "unknown"}`
        : `sha256:${sha256Hex(delivery.rawBody)}`,
    };
  },

  normalize: normalizeNetlify,
};

/**
 * The `sha256` claim of a valid token (HS256, issuer netlify, signed with the secret), or
 * undefined when the header is missing or the token does not verify.
 */
function signedBodyHash(secret: string, headers: IncomingHeaders): string | undefined {
  const token = header(headers, "x-webhook-signature") ?? header(headers, "x-nf-sign");
  if (!token) return undefined;
  const claims = verifyHs256Token(token, secret, "netlify");
  return typeof claims?.sha256 === "string" && /^[0-9a-f]{64}$/.test(claims.sha256)
    ? claims.sha256
    : undefined;
}

/** JSON text again, after the token was removed; nesting too deep to write back is refused. */
function serialize(payload: Record<string, unknown>): string {
  try {
    return JSON.stringify(payload);
  } catch (error) {
    if (error instanceof RangeError) throw new MalformedBodyError("body nests too deeply");
    throw error;
  }
}

/** `log_access_attributes.token` is a live credential to the build log: never keep it. */
function stripLogToken(payload: Record<string, unknown>): boolean {
  const attributes = payload.log_access_attributes;
  if (attributes && typeof attributes === "object" && "token" in attributes) {
    delete (attributes as Record<string, unknown>).token;
    return true;
  }
  return false;
}
