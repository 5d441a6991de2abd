import { isStandardWebhooksSecret } from "../outbound/signing.js";
import { hmacSha256Matches, sha256Hex } from "./constant-time.js";
import { genericBodyProblems, genericBodySchema } from "./generic-body.js";
import { normalizeGeneric } from "./generic-normalize.js";
import {
  decodeUtf8,
  header,
  MalformedBodyError,
  parseJsonObject,
  type SourceDefinition,
} from "./source.js";
import {
  hasStandardWebhookHeaders,
  readStandardWebhookHeaders,
  standardWebhookSignatureMatches,
} from "./standard-webhooks.js";

const HUB_SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Generic deploy reports from any CI or script, in Shipcast's documented body
 * (`generic-body.ts`). Signed either with Standard Webhooks (`webhook-id`, `webhook-timestamp`
 * within 5 minutes, `webhook-signature`: what `shipcast emit` sends) or, for senders that only
 * know GitHub's scheme, `X-Hub-Signature-256` keyed with the whole `whsec_…` secret text. A
 * request with any Standard Webhooks header is verified with that scheme only.
 *
 * The body is checked against the format before it is stored: a sender learns at once (400 and
 * every problem) what a typo cost it, instead of finding a failed event later.
 */
export const genericSource: SourceDefinition = {
  name: "generic",
  title: "generic",
  mediaTypes: ["application/json"],

  async verifyHeaders(_secret, headers) {
    if (hasStandardWebhookHeaders(headers))
      return readStandardWebhookHeaders(headers) !== undefined;
    return HUB_SIGNATURE.test(header(headers, "x-hub-signature-256") ?? "");
  },

  async verifyBody(secret, delivery) {
    if (hasStandardWebhookHeaders(delivery.headers)) {
      const read = readStandardWebhookHeaders(delivery.headers);
      return read !== undefined && standardWebhookSignatureMatches(secret, read, delivery.rawBody);
    }
    const match = HUB_SIGNATURE.exec(header(delivery.headers, "x-hub-signature-256") ?? "");
    if (!match || delivery.rawBody.length === 0) return false;
    return hmacSha256Matches(secret, delivery.rawBody, match[1] as string);
  },

  accept(delivery) {
    const payloadText = decodeUtf8(delivery.rawBody);
    const parsed = genericBodySchema.safeParse(parseJsonObject(payloadText));
    if (!parsed.success) throw new MalformedBodyError(genericBodyProblems(parsed.error));
    const messageId = header(delivery.headers, "webhook-id");
    return {
      payloadText,
      eventName: parsed.data.kind,
      // A Standard Webhooks id is the same on every retry of one message.
      dedupeKey: messageId ? `webhook-id:${messageId}` : `sha256:${sha256Hex(delivery.rawBody)}`,
    };
  },

  normalize: normalizeGeneric,

  secretProblem(secret) {
    return isStandardWebhooksSecret(secret)
      ? undefined
      : "must be a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes (openssl rand -base64 32)";
  },
};
