import { constantTimeEqual, sha256Hex } from "./constant-time.js";
import { normalizeQovery, qoveryEventName } from "./qovery-normalize.js";
import { decodeUtf8, header, parseJsonObject, type SourceDefinition } from "./source.js";

/**
 * Qovery organization webhooks. Qovery sends the webhook's `target_secret` as it is in
 * `Qovery-Signature` (one receiver reads `Qovery-Secret`: accepted too), compared in constant
 * time; the header is the whole proof, checked before the body is read. A JSON object that
 * cannot be read as a deployment event is still accepted (202) and recorded `ignored` with the
 * missing field.
 */
export const qoverySource: SourceDefinition = {
  name: "qovery",
  title: "Qovery",
  mediaTypes: ["application/json"],

  async verifyHeaders(secret, headers) {
    const token = header(headers, "qovery-signature") ?? header(headers, "qovery-secret");
    return token !== undefined && constantTimeEqual(token, secret);
  },

  accept(delivery) {
    const payloadText = decodeUtf8(delivery.rawBody);
    const payload = parseJsonObject(payloadText);
    return {
      payloadText,
      eventName: qoveryEventName(payload) ?? null,
      // Qovery documents no delivery id: the same body twice is the same event.
      dedupeKey: `sha256:${sha256Hex(delivery.rawBody)}`,
    };
  },

  normalize: normalizeQovery,
};
