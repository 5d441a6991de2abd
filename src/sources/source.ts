import type {
  EventSource,
  NormalizeInput,
  NormalizeOptions,
  NormalizeResult,
} from "../events/deploy-event.js";

/** Request headers: names in lower case, as Node gives them. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** A request to a source route, after the body was read within the size limit. */
export interface IncomingDelivery {
  /** Header names in lower case, as Node gives them. */
  headers: IncomingHeaders;
  /** The exact bytes received: signatures are checked on these, before any parsing. */
  rawBody: Buffer;
  /** Media type without parameters, lower case (`application/json`). */
  mediaType: string;
}

/** What a verified delivery becomes in the inbox. */
export interface AcceptedDelivery {
  /** The JSON payload text to store (form-decoded for GitHub, live credentials removed). */
  payloadText: string;
  /** The provider's own event name, when the request tells it. */
  eventName: string | null;
  /** Unique per source: a second delivery with the same key is the same event. */
  dedupeKey: string;
}

/** The body passed verification but is not UTF-8 JSON holding an object: answered 400. */
export class MalformedBodyError extends Error {
  override name = "MalformedBodyError";
}

/**
 * One inbound provider: its route, the setting that enables it, its signature scheme and how a
 * verified body becomes an inbox row and then a `DeployEvent`. Adding a source is one module
 * implementing this and one entry in `sources/index.ts`.
 */
export interface SourceDefinition {
  name: EventSource;
  /** Human name for messages ("GitHub"). */
  title: string;
  /** POST route, e.g. `/api/github/webhooks`. */
  route: string;
  /** The environment variable that holds the secret and enables the source. */
  secretSetting: string;
  /** Accepted media types; anything else is answered 415. */
  mediaTypes: readonly string[];
  /**
   * The headers that carry the signature or token, as the provider spells them, for the log of
   * a 401 (whether one was missing or did not verify; never their values).
   */
  signatureHeaders?: readonly string[];
  /** The headers that carry the sender's own id of the delivery, for the log (first present). */
  deliveryIdHeaders?: readonly string[];
  /**
   * What the headers alone can prove, checked before a byte of the body is read so that an
   * unauthenticated sender costs no memory: a missing or malformed signature header, a token that
   * is the secret itself (compared in constant time), a signed token's own signature. False is
   * answered 401 at once.
   */
  verifyHeaders(secret: string, headers: IncomingHeaders): Promise<boolean>;
  /**
   * The check of the signature over the exact bytes received (never a decoded string), called
   * only after `verifyHeaders` passed. Absent when the headers alone authenticate the delivery
   * (the secret is itself a header, as GitLab's token).
   */
  verifyBody?(secret: string, delivery: IncomingDelivery): Promise<boolean>;
  /** Parses a verified body; throws `MalformedBodyError` when it is not a JSON object. */
  accept(delivery: IncomingDelivery): AcceptedDelivery;
  /** Pure normalization of a stored row (see `events/deploy-event.ts`). */
  normalize(input: NormalizeInput, options: NormalizeOptions): NormalizeResult;
}

/** First value of a header, trimmed; undefined when absent or empty. */
export function header(headers: IncomingHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The body as text, refusing bytes that are not UTF-8 instead of replacing them with U+FFFD:
 * what is stored must be what was signed. A byte order mark is kept (and then fails JSON).
 */
export function decodeUtf8(rawBody: Uint8Array): string {
  try {
    return strictUtf8.decode(rawBody);
  } catch {
    throw new MalformedBodyError("body is not valid UTF-8");
  }
}

/** Parses JSON text that must hold an object; anything else is a malformed body. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedBodyError(`body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new MalformedBodyError("body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}
