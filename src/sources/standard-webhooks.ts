/**
 * Verification of Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), the scheme generic senders and `shipcast emit` sign with: a `v1,` base64
 * HMAC-SHA256, under the key of a `whsec_` secret, of `<id>.<timestamp>.<exact body bytes>`.
 * Several signatures may be sent, space-separated (a sender rotating its secret signs with both).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { header, type IncomingHeaders } from "./source.js";

/** How far a `webhook-timestamp` may be from now, either way (the specification's 5 minutes). */
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 5 * 60;

const WHSEC_PREFIX = "whsec_";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The three headers, read; undefined when one is missing or malformed. */
export interface StandardWebhookHeaders {
  id: string;
  timestamp: string;
  /** The `v1` signatures, decoded from base64 (other versions are skipped). */
  signatures: Buffer[];
}

/** Whether the request carries Standard Webhooks headers at all (then it must verify with them). */
export function hasStandardWebhookHeaders(headers: IncomingHeaders): boolean {
  return (
    header(headers, "webhook-signature") !== undefined ||
    header(headers, "webhook-id") !== undefined ||
    header(headers, "webhook-timestamp") !== undefined
  );
}

/**
 * The headers when present, well-formed and timely: an id without `.` or whitespace, a timestamp
 * in whole seconds within the tolerance of `nowMs`, and at least one `v1` signature of 32 bytes.
 */
export function readStandardWebhookHeaders(
  headers: IncomingHeaders,
  nowMs: number = Date.now(),
): StandardWebhookHeaders | undefined {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signature = header(headers, "webhook-signature");
  if (id === undefined || timestamp === undefined || signature === undefined) return undefined;
  if (id.length > 256 || /[.\s]/.test(id) || !/^\d{1,12}$/.test(timestamp)) return undefined;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > STANDARD_WEBHOOKS_TOLERANCE_SECONDS) {
    return undefined;
  }
  const signatures: Buffer[] = [];
  for (const part of signature.split(" ")) {
    const [version, encoded] = part.split(",", 2);
    if (version !== "v1" || encoded === undefined || !BASE64.test(encoded)) continue;
    const bytes = Buffer.from(encoded, "base64");
    if (bytes.length === 32) signatures.push(bytes);
  }
  return signatures.length > 0 ? { id, timestamp, signatures } : undefined;
}

/**
 * The HMAC key of a `whsec_` secret (the base64 after the prefix, decoded), or undefined when the
 * secret is not one.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(WHSEC_PREFIX)) return undefined;
  const encoded = secret.slice(WHSEC_PREFIX.length);
  if (encoded === "" || !BASE64.test(encoded)) return undefined;
  return Buffer.from(encoded, "base64");
}

/**
 * Whether one of the signatures is the HMAC of `<id>.<timestamp>.` and the exact body bytes under
 * the secret's key, compared in constant time.
 */
export function standardWebhookSignatureMatches(
  secret: string,
  read: StandardWebhookHeaders,
  rawBody: Uint8Array,
): boolean {
  const key = standardWebhooksKey(secret);
  if (key === undefined) return false;
  const expected = createHmac("sha256", key)
    .update(`${read.id}.${read.timestamp}.`, "utf8")
    .update(rawBody)
    .digest();
  let matched = false;
  // Every signature is compared, so the time taken does not say which one matched.
  for (const signature of read.signatures) {
    if (timingSafeEqual(signature, expected)) matched = true;
  }
  return matched;
}
