import { verify } from "@octokit/webhooks-methods";
import { sha256Hex } from "./constant-time.js";
import { normalizeGithub } from "./github-normalize.js";
import { header, MalformedBodyError, parseJsonObject, type SourceDefinition } from "./source.js";

/**
 * GitHub webhooks, from a GitHub App or a plain repository/organization webhook.
 * Signature: `X-Hub-Signature-256`, checked with the verifier Probot itself uses. The legacy
 * SHA-1 `X-Hub-Signature` is never accepted alone.
 */
export const githubSource: SourceDefinition = {
  name: "github",
  title: "GitHub",
  route: "/api/github/webhooks",
  secretSetting: "WEBHOOK_SECRET",
  mediaTypes: ["application/json", "application/x-www-form-urlencoded"],

  async verify(secret, delivery) {
    const signature = header(delivery.headers, "x-hub-signature-256");
    if (!signature || delivery.rawBody.length === 0) return false;
    try {
      return await verify(secret, delivery.rawBody.toString("utf8"), signature);
    } catch {
      return false;
    }
  },

  accept(delivery) {
    const text = delivery.rawBody.toString("utf8");
    let payloadText = text;
    if (delivery.mediaType === "application/x-www-form-urlencoded") {
      // GitHub's form content type sends the JSON as the `payload` field.
      const payload = new URLSearchParams(text).get("payload");
      if (payload === null) throw new MalformedBodyError("form body has no payload field");
      payloadText = payload;
    }
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
