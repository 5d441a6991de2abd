import { errors, jwtVerify } from "jose";
import { sha256Hex } from "./constant-time.js";
import { netlifyEventName, normalizeNetlify } from "./netlify-normalize.js";
import { flattenHeaders } from "./redact-headers.js";
import { header, parseJsonObject, type SourceDefinition } from "./source.js";

const encoder = new TextEncoder();

/**
 * Netlify deploy notifications ("outgoing webhooks"). The signature is a JWS (HS256) in
 * `X-Webhook-Signature` (or `X-Nf-Sign`, its older name) whose `sha256` claim must equal the
 * hash of the exact body; the token alone proves nothing about the body.
 */
export const netlifySource: SourceDefinition = {
  name: "netlify",
  title: "Netlify",
  route: "/api/netlify/webhooks",
  secretSetting: "NETLIFY_JWS_SECRET",
  mediaTypes: ["application/json"],

  async verify(secret, delivery) {
    const token =
      header(delivery.headers, "x-webhook-signature") ?? header(delivery.headers, "x-nf-sign");
    if (!token) return false;
    try {
      const { payload } = await jwtVerify(token, encoder.encode(secret), {
        algorithms: ["HS256"],
        issuer: "netlify",
      });
      return typeof payload.sha256 === "string" && payload.sha256 === sha256Hex(delivery.rawBody);
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return false;
      throw error;
    }
  },

  accept(delivery) {
    let payloadText = delivery.rawBody.toString("utf8");
    const payload = parseJsonObject(payloadText);
    const eventName = netlifyEventName(flattenHeaders(delivery.headers), payload) ?? null;
    if (stripLogToken(payload)) payloadText = JSON.stringify(payload);
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

/** `log_access_attributes.token` is a live credential to the build log: never keep it. */
function stripLogToken(payload: Record<string, unknown>): boolean {
  const attributes = payload.log_access_attributes;
  if (attributes && typeof attributes === "object" && "token" in attributes) {
    delete (attributes as Record<string, unknown>).token;
    return true;
  }
  return false;
}
