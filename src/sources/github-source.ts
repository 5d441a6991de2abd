import { hmacSha256Matches, sha256Hex } from "./constant-time.js";
import { normalizeGithub } from "./github-normalize.js";
import {
  decodeUtf8,
  type EnvironmentSource,
  header,
  MalformedBodyError,
  parseJsonObject,
} from "./source.js";

/** `sha256=` and 64 hex digits: anything else cannot be GitHub's signature. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * GitHub webhooks, from a GitHub App or a plain repository/organization webhook.
 * Signature: `X-Hub-Signature-256`, the HMAC-SHA256 of the exact body bytes (the scheme of
 * Probot's verifier, `@octokit/webhooks-methods`, which only takes decoded text). The legacy
 * SHA-1 `X-Hub-Signature` is never accepted alone.
 */
export const githubSource: EnvironmentSource = {
  name: "github",
  title: "GitHub",
  route: "/api/github/webhooks",
  secretSetting: "WEBHOOK_SECRET",
  mediaTypes: ["application/json", "application/x-www-form-urlencoded"],
  signatureHeaders: ["X-Hub-Signature-256"],
  deliveryIdHeaders: ["X-GitHub-Delivery"],

  async verifyHeaders(_secret, headers) {
    return SIGNATURE.test(header(headers, "x-hub-signature-256") ?? "");
  },

  async verifyBody(secret, delivery) {
    const match = SIGNATURE.exec(header(delivery.headers, "x-hub-signature-256") ?? "");
    if (!match || delivery.rawBody.length === 0) return false;
    return hmacSha256Matches(secret, delivery.rawBody, match[1] as string);
  },

  accept(delivery) {
    const text = decodeUtf8(delivery.rawBody);
    const payloadText =
      delivery.mediaType === "application/x-www-form-urlencoded" ? formPayload(text) : text;
    parseJsonObject(payloadText);
    return {
      payloadText,
      eventName: header(delivery.headers, "x-github-event") ?? null,
      dedupeKey:
        header(delivery.headers, "x-github-delivery") ?? `sha256:${sha256Hex(delivery.rawBody)}`,
    };
  },

  normalize: normalizeGithub,
};

/**
 * GitHub's form content type sends the JSON as the `payload` field. Decoded strictly: a
 * percent-encoded byte sequence that is not UTF-8 is a malformed body, not U+FFFD (which
 * `URLSearchParams` would silently put in its place).
 */
function formPayload(text: string): string {
  for (const pair of text.split("&")) {
    const equals = pair.indexOf("=");
    const name = equals === -1 ? pair : pair.slice(0, equals);
    if (decodeFormComponent(name) !== "payload") continue;
    return decodeFormComponent(equals === -1 ? "" : pair.slice(equals + 1));
  }
  throw new MalformedBodyError("form body has no payload field");
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    throw new MalformedBodyError("form body is not valid percent-encoded UTF-8");
  }
}
