/**
 * Signatures on Shipcast's outgoing webhooks (REFERENCE.md, "Outgoing webhooks"). A receiver
 * picks the scheme its own tooling already verifies, so each one follows its origin exactly:
 *
 * - `X-Hub-Signature-256`: GitHub's hex HMAC-SHA256 of the body;
 * - `X-Nf-Sign`: a Netlify-style JWS (HS256) whose claims carry the body's SHA-256;
 * - Standard Webhooks (`webhook-id` / `webhook-timestamp` / `webhook-signature`), which also
 *   covers the message id and time, so a captured request cannot be replayed later.
 *
 * Every function signs the exact bytes that are sent: callers serialize the body once and pass
 * the same string (or bytes) here and to the HTTP client. Nothing here logs or returns a secret.
 */
import { createHash, createHmac } from "node:crypto";
import { SignJWT } from "jose";

/** A request body as sent: text (encoded as UTF-8 on the wire) or the bytes themselves. */
export type SignedBody = string | Uint8Array;

/** The three Standard Webhooks headers. */
export interface StandardWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** What `standardWebhookHeaders` signs. */
export interface StandardWebhookMessage {
  /**
   * The message id. Receivers deduplicate on it, so it must stay the same on every retry and
   * re-send of one message (Shipcast passes the delivery id).
   */
  id: string;
  /** Send time in whole seconds since the epoch; receivers refuse stale timestamps. */
  timestamp: number;
  /** The exact body sent. */
  body: SignedBody;
  /**
   * Every live secret (`whsec_` + base64 of the key). While a secret rotates, both the old and
   * the new one sign, so a receiver holding either one accepts the message.
   */
  secrets: readonly string[];
}

/** The prefix of a Standard Webhooks symmetric secret. */
const WHSEC_PREFIX = "whsec_";
/**
 * Key sizes the Standard Webhooks spec allows for symmetric secrets: "between 24 bytes (192
 * bits) and 64 bytes (512 bits)". Shorter keys are refused rather than silently weak.
 */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
/** Canonical base64 (standard alphabet, padded): what `whsec_` secrets are written in. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The body as bytes, so text and binary bodies are hashed the same way they are sent. */
function bodyBytes(body: SignedBody): Uint8Array {
  return typeof body === "string" ? Buffer.from(body, "utf8") : body;
}

/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` and the lower-case hex HMAC-SHA256 of the body under
 * `secret` (the secret's UTF-8 bytes are the key, as GitHub does). Verifiable with
 * `@octokit/webhooks-methods`' `verify` and every GitHub webhook library.
 */
export function hubSignature256(secret: string, body: SignedBody): string {
  return `sha256=${createHmac("sha256", secret).update(bodyBytes(body)).digest("hex")}`;
}

/**
 * A Netlify-style JWS for `X-Nf-Sign`, shaped like Netlify's own `X-Webhook-Signature`: a compact
 * JWT signed HS256 with `secret` (its UTF-8 bytes), claims `iss: "shipcast"`, `sha256` (lower-case
 * hex SHA-256 of the body) and `iat`. A receiver verifies the token with the secret, then
 * compares `sha256` with the hash of the bytes it received: the token alone proves nothing
 * about the body.
 *
 * @param now the issue time (`iat`); defaults to the current time.
 */
export async function netlifyJws(
  secret: string,
  body: SignedBody,
  now: Date = new Date(),
): Promise<string> {
  if (secret === "") throw new TypeError("the JWS secret must not be empty");
  const sha256 = createHash("sha256").update(bodyBytes(body)).digest("hex");
  return new SignJWT({ sha256 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("shipcast")
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
}

/**
 * Whether `value` is a Standard Webhooks symmetric secret Shipcast accepts: `whsec_` followed by
 * canonical base64 of a 24 to 64 byte key (the sizes the spec allows). The prefix is required
 * here, even though the signer tolerates its absence, so that a setting says what it is.
 */
export function isStandardWebhooksSecret(value: string): boolean {
  if (!value.startsWith(WHSEC_PREFIX)) return false;
  const key = decodeKey(value);
  return key !== undefined && key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES;
}

/**
 * The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` decoded, as the
 * `standardwebhooks` reference library does (which also takes the base64 without the prefix).
 * Undefined when the text is not canonical base64 or decodes to nothing; `Buffer.from` alone
 * would skip bad characters and sign with a key the receiver does not have.
 */
function decodeKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret;
  if (encoded === "" || !BASE64.test(encoded)) return undefined;
  return Buffer.from(encoded, "base64");
}

/**
 * One Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256, under the decoded key, of
 * `<id>.<timestamp>.<body>`.
 */
function standardWebhookSignature(
  key: Uint8Array,
  id: string,
  timestamp: number,
  body: Uint8Array,
): string {
  const mac = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`, "utf8")
    .update(body)
    .digest("base64");
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers for one message: `webhook-id`, `webhook-timestamp` (seconds) and
 * `webhook-signature` with one `v1,<base64>` signature per secret, space-separated (the spec's
 * form during a rotation; duplicate secrets sign once).
 *
 * @throws TypeError when there is no secret, a secret is not base64 (with or without `whsec_`),
 *   the id is empty or contains a `.` or whitespace (it would make the signed content or the
 *   header ambiguous), or the timestamp is not a non-negative whole number of seconds. The
 *   message never contains the secret.
 */
export function standardWebhookHeaders(message: StandardWebhookMessage): StandardWebhookHeaders {
  const { id, timestamp, secrets } = message;
  if (id === "" || /[.\s]/.test(id)) {
    throw new TypeError(
      "the Standard Webhooks message id must be non-empty, without '.' or spaces",
    );
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError("the Standard Webhooks timestamp must be whole seconds since the epoch");
  }
  if (secrets.length === 0) throw new TypeError("at least one Standard Webhooks secret is needed");
  const body = bodyBytes(message.body);
  const signatures = [...new Set(secrets)].map((secret, index) => {
    const key = decodeKey(secret);
    if (key === undefined) {
      throw new TypeError(`Standard Webhooks secret #${index + 1} is not whsec_ and base64`);
    }
    return standardWebhookSignature(key, id, timestamp, body);
  });
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
