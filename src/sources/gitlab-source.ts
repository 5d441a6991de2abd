import { constantTimeEqual, sha256Hex } from "./constant-time.js";
import { normalizeGitlab } from "./gitlab-normalize.js";
import {
  decodeUtf8,
  type EnvironmentSource,
  header,
  type IncomingDelivery,
  parseJsonObject,
} from "./source.js";

/**
 * GitLab project and group webhooks. GitLab sends the secret token itself in `X-Gitlab-Token`
 * (no HMAC), so it is compared in constant time and never stored. The header is the whole
 * proof: a wrong token is refused before the body is read, and there is no body check.
 */
export const gitlabSource: EnvironmentSource = {
  name: "gitlab",
  title: "GitLab",
  route: "/api/gitlab/webhooks",
  secretSetting: "GITLAB_WEBHOOK_SECRET",
  mediaTypes: ["application/json"],
  signatureHeaders: ["X-Gitlab-Token"],
  deliveryIdHeaders: ["X-Gitlab-Event-UUID", "Idempotency-Key"],

  async verifyHeaders(secret, headers) {
    const token = header(headers, "x-gitlab-token");
    return token !== undefined && constantTimeEqual(token, secret);
  },

  accept(delivery) {
    const payloadText = decodeUtf8(delivery.rawBody);
    const payload = parseJsonObject(payloadText);
    const eventName =
      header(delivery.headers, "x-gitlab-event") ??
      (typeof payload.object_kind === "string" ? payload.object_kind : null);
    return { payloadText, eventName, dedupeKey: gitlabDedupeKey(delivery, payloadText) };
  },

  normalize: normalizeGitlab,
};

/**
 * `Idempotency-Key` is the same across GitLab's retries; older GitLab versions only send the
 * event UUID, which is unique per event and hook, so it is paired with the hook's UUID.
 */
function gitlabDedupeKey(delivery: IncomingDelivery, payloadText: string): string {
  const idempotencyKey = header(delivery.headers, "idempotency-key");
  if (idempotencyKey) return `idempotency:${idempotencyKey}`;
  const eventUuid = header(delivery.headers, "x-gitlab-event-uuid");
  if (eventUuid) {
    const hookUuid = header(delivery.headers, "x-gitlab-webhook-uuid") ?? "-";
    return `event:${eventUuid}:${hookUuid}`;
  }
  return `sha256:${sha256Hex(payloadText)}`;
}
