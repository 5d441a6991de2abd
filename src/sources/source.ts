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
 * One kind of inbound source: its signature scheme and how a verified body becomes an inbox row
 * and then a `DeployEvent`. Adding a kind is one module implementing this and one entry in
 * `sources/index.ts`. Every kind can be a source managed through the API (its own route and
 * secrets, `/api/sources/<id>/webhooks`); the three of {@link EnvironmentSource} also have a
 * route enabled by an environment variable.
 */
export interface SourceDefinition {
  name: SourceKind;
  /** Human name for messages ("GitHub"). */
  title: string;
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
  /**
   * What is wrong with `secret` as this kind's secret (generic sources need a Standard Webhooks
   * `whsec_` secret), or undefined when it can be used.
   */
  secretProblem?(secret: string): string | undefined;
}

/** The kinds of source, which are also the `source` of the events they receive. */
export type SourceKind = Exclude<EventSource, "shipcast">;

/** A kind with a fixed route whose secret comes from an environment variable. */
export interface EnvironmentSource extends SourceDefinition {
  /** POST route, e.g. `/api/github/webhooks`. */
  route: string;
  /** The environment variable that holds the secret and enables the source. */
  secretSetting: string;
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

/**
 * Who receives a request: the kind that verifies and reads it, the secrets it is verified with
 * (during a rotation, the new one and the previous one), and the source its events record.
 */
export interface SourceReceiver {
  source: SourceDefinition;
  /** Every secret that may sign a delivery now; one is enough. */
  secrets: readonly string[];
  /** The `source_id` of the events (`env_github`, `src_…`). */
  sourceId: string;
  /**
   * Prefix of the dedupe keys: a source managed through the API deduplicates among its own
   * deliveries only. Empty for the environment-variable routes (their keys as they always were).
   */
  dedupeScope: string;
}

/** The id of an environment-variable source, which its events record as `source_id`. */
export function environmentSourceId(kind: string): string {
  return `env_${kind}`;
}
