/**
 * Octokit's errors, translated into delivery results at the module boundary (like Renovate's
 * platform layer): the GitHub notifiers catch whatever a request threw and hand it here, so
 * nothing above them sees an Octokit type.
 *
 * Octokit throws a `RequestError` (`status`, `response.headers`, `response.data`) for every
 * answer ≥ 400, and a `RequestError` with status 500 but no `response` when no answer came (a
 * connection error; an aborted request keeps its `AbortError`). It is read by shape rather than
 * by class: the class lives in a package Shipcast does not depend on directly.
 */
import { parseRetryAfter } from "../../outbound/http-facts.js";
import type { AttemptResult } from "../kit/notifier.js";
import { redactCredentials } from "../kit/redact.js";

/** How soon to try again after an installation vanished under a remembered id. */
const STALE_INSTALLATION_RETRY_MS = 1_000;
/** GitHub asks for at least a minute's wait after a secondary rate limit without a header. */
const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;
/** Characters of the answer's body kept for the attempt log. */
const MAX_RESPONSE_CHARS = 2_000;
/** Characters of GitHub's message quoted in an error. */
const MAX_MESSAGE_CHARS = 500;

/** The parts of an Octokit `RequestError` this module reads. */
interface RequestErrorShape {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  response?: { status?: unknown; headers?: Record<string, unknown>; data?: unknown };
}

/** The HTTP status of an Octokit error, or undefined when `error` is not one. */
export function githubErrorStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as RequestErrorShape).status;
  return typeof status === "number" && status > 0 ? status : undefined;
}

/** True when GitHub answered (as opposed to a connection error or a timeout). */
export function isGithubAnswer(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { response } = error as RequestErrorShape;
  return typeof response === "object" && response !== null && typeof response.status === "number";
}

/** The URL an Octokit error's request went to, without its query (for recognising endpoints). */
export function githubErrorRequestUrl(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const url = (error as { request?: { url?: unknown } }).request?.url;
  return typeof url === "string" ? url.split("?")[0] : undefined;
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** Milliseconds until `x-ratelimit-reset` (epoch seconds), when the quota is spent. */
function rateLimitResetMs(
  headers: Record<string, unknown> | undefined,
  now: number,
): number | undefined {
  if (header(headers, "x-ratelimit-remaining")?.trim() !== "0") return undefined;
  const reset = Number(header(headers, "x-ratelimit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  // A second more: GitHub's reset is rounded down, and clocks differ a little.
  return Math.max(0, reset * 1000 - now) + 1000;
}

/**
 * GitHub's own words: `data.message`, with the `message`s of a 422's `errors` list (they say
 * which field was wrong), without the documentation link Octokit appends.
 */
function apiMessage(error: RequestErrorShape): string {
  const data = error.response?.data;
  let message: string | undefined;
  if (typeof data === "object" && data !== null) {
    const { message: said, errors } = data as { message?: unknown; errors?: unknown };
    if (typeof said === "string" && said.trim() !== "") message = said.trim();
    if (Array.isArray(errors)) {
      const details = errors
        .map((entry) =>
          typeof entry === "string"
            ? entry
            : typeof entry === "object" && entry !== null
              ? typeof (entry as { message?: unknown }).message === "string"
                ? (entry as { message: string }).message
                : JSON.stringify(entry)
              : undefined,
        )
        .filter((detail): detail is string => detail !== undefined && detail !== "");
      if (details.length > 0) message = `${message ?? "Validation Failed"} (${details.join("; ")})`;
    }
  } else if (typeof data === "string" && data.trim() !== "") {
    message = data.trim();
  }
  message ??= typeof error.message === "string" ? error.message : "no message";
  const oneLine = message.replace(/\s+/g, " ");
  return oneLine.length <= MAX_MESSAGE_CHARS
    ? oneLine
    : `${oneLine.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

function responseText(data: unknown): string | undefined {
  if (data === undefined || data === null || data === "") return undefined;
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return redactCredentials(text.slice(0, MAX_RESPONSE_CHARS));
}

/**
 * True when `error` says an installation token could not be created because the installation is
 * gone (401/404 from `POST /app/installations/{id}/access_tokens`): a remembered installation id
 * is stale, and asking GitHub again will tell whether the app is still installed.
 */
export function isStaleInstallationError(error: unknown): boolean {
  const status = githubErrorStatus(error);
  if (status !== 401 && status !== 404) return false;
  return /\/app\/installations\/\d+\/access_tokens$/.test(githubErrorRequestUrl(error) ?? "");
}

/**
 * True when the remembered installation of the repository should be looked up again: its token
 * was refused (401, e.g. revoked by an uninstall) or could not be created (see
 * `isStaleInstallationError`). The attempt's result stays what `githubErrorResult` says.
 */
export function invalidatesInstallation(error: unknown): boolean {
  return githubErrorStatus(error) === 401 || isStaleInstallationError(error);
}

function isRateLimitMessage(message: string): boolean {
  return /rate limit/i.test(message);
}

/**
 * The attempt result for an error thrown while talking to GitHub.
 *
 * - 403 or 429 that is a rate limit (a `retry-after` header, `x-ratelimit-remaining: 0` with
 *   `x-ratelimit-reset`, or GitHub saying "rate limit") → `retry` after the wait GitHub asks for
 *   (a minute when it names none);
 * - 5xx → `retry` (honouring `retry-after`);
 * - 401/404 when creating an installation token → `retry` soon: the installation was removed
 *   under a remembered id (the caller forgets it, see `isStaleInstallationError`);
 * - any other answer (401, 403, 404, 422, …) → `failed` with GitHub's message: repeating the
 *   request will not change it;
 * - no answer (connection error, timeout) → `retry`.
 *
 * @param error whatever the request threw
 * @param action what was being done, for the message: "GitHub answered 404 while <action>: …"
 *   (e.g. "creating the commit status")
 * @param now the current time in ms, for rate-limit resets
 */
export function githubErrorResult(error: unknown, action: string, now = Date.now()): AttemptResult {
  if (typeof error !== "object" || error === null) {
    return {
      outcome: "retry",
      error: redactCredentials(`${action} failed: ${String(error)}`),
    };
  }
  const shaped = error as RequestErrorShape;
  if (shaped.name === "AbortError") {
    return { outcome: "retry", error: `timed out waiting for GitHub while ${action}` };
  }
  const status = githubErrorStatus(error);
  if (status === undefined) {
    // Not Octokit's: the store or a bug. Retrying is what may help.
    const message = typeof shaped.message === "string" ? shaped.message : String(error);
    return { outcome: "retry", error: redactCredentials(`${action} failed: ${message}`) };
  }
  if (!isGithubAnswer(error)) {
    const message = typeof shaped.message === "string" ? shaped.message : String(error);
    return {
      outcome: "retry",
      error: redactCredentials(`request to GitHub failed while ${action}: ${message}`),
    };
  }
  const headers = shaped.response?.headers;
  const message = redactCredentials(apiMessage(shaped));
  const facts: { httpStatus: number; response?: string } = { httpStatus: status };
  const text = responseText(shaped.response?.data);
  if (text !== undefined) facts.response = text;
  const answer = `GitHub answered ${status} while ${action}: ${message}`;

  if (isStaleInstallationError(error)) {
    return {
      outcome: "retry",
      error: `GitHub answered ${status} while creating an installation token: ${message}; looking the installation up again`,
      retryAfterMs: STALE_INSTALLATION_RETRY_MS,
      ...facts,
    };
  }

  if (status === 403 || status === 429) {
    const wait =
      parseRetryAfter(header(headers, "retry-after") ?? null, now) ??
      rateLimitResetMs(headers, now);
    if (wait !== undefined || status === 429 || isRateLimitMessage(message)) {
      return {
        outcome: "retry",
        error: `rate limited by GitHub while ${action}: ${message}`,
        retryAfterMs: wait ?? SECONDARY_RATE_LIMIT_WAIT_MS,
        ...facts,
      };
    }
  }
  if (status >= 500) {
    const wait = parseRetryAfter(header(headers, "retry-after") ?? null, now);
    return {
      outcome: "retry",
      error: answer,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      ...facts,
    };
  }
  return { outcome: "failed", error: answer, ...facts };
}
