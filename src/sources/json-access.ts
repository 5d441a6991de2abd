/**
 * Small typed readers for untrusted JSON payloads.
 *
 * Payloads arrive as `unknown`; these helpers narrow one field at a time so a normalizer never
 * needs `any` and every missing or mistyped required field surfaces as a `MalformedEventError`
 * (the one error type ingest expects from a normalizer) with the field's path in the message.
 */
import { MalformedEventError } from "../events/deploy-event.js";

/** A parsed JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

/** Narrows to a plain JSON object, because `typeof null` and arrays are "object" too. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Names the JSON type of a value for error messages (`null`, `array`, `string`…). */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function fieldPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function malformed(path: string, key: string, expected: string, value: unknown): never {
  throw new MalformedEventError(
    `${fieldPath(path, key)} must be ${expected}, got ${describeJson(value)}`,
  );
}

/**
 * Checks the payload root, because every source sends an object and anything else (a bare
 * string, an array, null) means the body was not the webhook we think it is.
 */
export function requirePayloadObject(payload: unknown, source: string): JsonObject {
  if (!isJsonObject(payload)) {
    throw new MalformedEventError(
      `${source} payload must be a JSON object, got ${describeJson(payload)}`,
    );
  }
  return payload;
}

/** The nested object at `key`, or undefined when it is absent or not an object. */
export function getObject(obj: JsonObject, key: string): JsonObject | undefined {
  const value = obj[key];
  return isJsonObject(value) ? value : undefined;
}

/** The nested object at `key`; `path` is where `obj` sits in the payload, for the message. */
export function requireObject(obj: JsonObject, key: string, path: string): JsonObject {
  const value = obj[key];
  return isJsonObject(value) ? value : malformed(path, key, "an object", value);
}

/**
 * A non-empty string at `key`. Empty strings count as absent because providers send `""` for
 * unset URLs and descriptions (GitHub's `environment_url`, `description`).
 */
export function getString(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A non-empty string at `key`, or a `MalformedEventError` naming the field. */
export function requireString(obj: JsonObject, key: string, path: string): string {
  return getString(obj, key) ?? malformed(path, key, "a non-empty string", obj[key]);
}

/** A finite number at `key`. */
export function getNumber(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A finite number at `key`, or a `MalformedEventError` naming the field. */
export function requireNumber(obj: JsonObject, key: string, path: string): number {
  return getNumber(obj, key) ?? malformed(path, key, "a number", obj[key]);
}

/** A boolean at `key`; undefined when absent, so callers can tell "false" from "not said". */
export function getBoolean(obj: JsonObject, key: string): boolean | undefined {
  const value = obj[key];
  return typeof value === "boolean" ? value : undefined;
}

/**
 * An identifier as a string, whether the provider sends it as a number or a string, because
 * `DeployEvent.ids` holds strings and providers are not consistent about id types.
 */
export function getId(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** An identifier as a string, or a `MalformedEventError` naming the field. */
export function requireId(obj: JsonObject, key: string, path: string): string {
  return getId(obj, key) ?? malformed(path, key, "an id (number or string)", obj[key]);
}

/** Parses a URL without throwing, because payload URLs are untrusted text. */
export function parseUrl(value: string | undefined): URL | undefined {
  if (value === undefined || !URL.canParse(value)) return undefined;
  return new URL(value);
}

/** A parsed URL at `key`, or a `MalformedEventError` when it is absent or not a URL. */
export function requireUrl(obj: JsonObject, key: string, path: string): URL {
  return parseUrl(getString(obj, key)) ?? malformed(path, key, "a URL", obj[key]);
}

/**
 * The first non-empty string among `keys`, because providers spread one notion over fallback
 * fields (`updated_at` then `created_at`, `log_url` then `target_url`).
 */
export function firstString(obj: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = getString(obj, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The first present timestamp among `keys`, converted with `parse`; a missing or unparseable one
 * is malformed because `occurredAt` orders deliveries and a normalizer must not invent a time.
 */
export function requireTimestamp(
  obj: JsonObject,
  keys: readonly string[],
  path: string,
  parse: (value: string) => string | undefined = toIsoTimestamp,
): string {
  for (const key of keys) {
    const value = getString(obj, key);
    if (value === undefined) continue;
    const iso = parse(value);
    if (iso === undefined) {
      throw new MalformedEventError(
        `${fieldPath(path, key)} is not a recognised timestamp: ${JSON.stringify(value.slice(0, 64))}`,
      );
    }
    return iso;
  }
  return malformed(path, keys.join(" or "), "a timestamp", undefined);
}

/** Date, `T`, time, and an explicit zone: without one, `Date.parse` would use the host's zone. */
const ISO_TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Normalizes an ISO 8601 timestamp to the `toISOString()` form, so `occurredAt` values from
 * every source compare correctly as strings (ordering relies on it). Timestamps without a zone
 * are refused, because reading them in the host's zone would make normalizers impure.
 */
export function toIsoTimestamp(value: string | undefined): string | undefined {
  const date = value === undefined ? undefined : ISO_TIMESTAMP.exec(value)?.[1];
  if (value === undefined || date === undefined || !isCalendarDate(date)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * Whether `YYYY-MM-DD` names a real day. `Date.parse` rolls `2021-02-30` over to March instead of
 * failing, which would turn a corrupt timestamp into a plausible wrong one.
 */
export function isCalendarDate(date: string): boolean {
  const [year = Number.NaN, month = Number.NaN, day = Number.NaN] = date.split("-").map(Number);
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return (
    parsed.getUTCFullYear() === year &&
    parsed.getUTCMonth() === month - 1 &&
    parsed.getUTCDate() === day
  );
}

/**
 * Runs `read` and prefixes any `MalformedEventError` with `context` (source and event), so the
 * field readers can stay generic while the final message still says which webhook was bad.
 */
export function withMalformedContext<T>(context: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MalformedEventError) {
      throw new MalformedEventError(`${context}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
