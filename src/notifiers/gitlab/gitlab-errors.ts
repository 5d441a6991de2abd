/**
 * Translates what the GitLab client throws into an `AttemptResult`, so that no gitbeaker error
 * leaves the GitLab layer. The classification follows the delivery engine's rule: `retry` for
 * what may work later (rate limits, 5xx, timeouts, connection errors), `failed` for what never
 * will (bad token, missing permission, unknown project, invalid request).
 *
 * Results quote GitLab's own message (`{ "message": … }` or `{ "error": … }`), the status and
 * the rate-limit headers, never the request: its `PRIVATE-TOKEN` header is the token.
 */
import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from "@gitbeaker/rest";
import {
  CONNECTION_ERRORS,
  errorCode,
  innermostMessage,
  parseRetryAfter,
} from "../../outbound/http-facts.js";
import type { AttemptResult } from "../kit/notifier.js";
import { redactCredentials } from "../kit/redact.js";

/** Characters of GitLab's message quoted in an error. */
const MAX_MESSAGE = 300;

/** What to say for the permanent answers, beyond GitLab's own words. */
const HINTS: Readonly<Record<number, string>> = {
  401: "the GitLab token is invalid, expired or revoked",
  403: "the token's user may not do this (it needs the api scope and the Developer role)",
  404: "not found, or not visible to the token's user",
  422: "GitLab refused the request as invalid",
};

/** The answer a `GitbeakerRequestError` carries, when it carries one. */
export interface GitlabAnswer {
  status: number;
  headers: Headers;
  /** GitLab's message, as gitbeaker extracted it. */
  message: string;
}

/** The HTTP answer behind a GitLab client error, or undefined for errors without one. */
export function gitlabAnswer(error: unknown): GitlabAnswer | undefined {
  if (!(error instanceof GitbeakerRequestError)) return undefined;
  const response = error.cause?.response;
  if (response === undefined) return undefined;
  return {
    status: response.status,
    headers: response.headers,
    message: error.cause?.description ?? error.message,
  };
}

/** The HTTP status of a GitLab client error, if GitLab answered. */
export function gitlabStatus(error: unknown): number | undefined {
  return gitlabAnswer(error)?.status;
}

/**
 * How long GitLab asks to wait, in milliseconds: `Retry-After` (seconds or a date), else
 * `RateLimit-Reset` (a Unix time in seconds). Undefined when neither says.
 */
export function gitlabRetryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = headers.get("ratelimit-reset")?.trim();
  if (reset === undefined || !/^\d+$/.test(reset)) return undefined;
  return Math.max(0, Number(reset) * 1000 - now);
}

/**
 * A 403 that is a rate limit rather than a refusal: it says when to come back. A `RateLimit-Reset`
 * alone counts only when nothing says requests remain (GitLab.com may send the headers on every
 * answer, and a real permission error must not be retried for days).
 */
function isRateLimited403(headers: Headers): boolean {
  if (headers.has("retry-after")) return true;
  const remaining = headers.get("ratelimit-remaining");
  return headers.has("ratelimit-reset") && (remaining === null || remaining.trim() === "0");
}

/**
 * The result of an attempt that ended with `error`, thrown by a GitLab client call.
 *
 * @param action what was being done, for the message (`setting the commit status`).
 */
export function gitlabErrorResult(error: unknown, action: string, now = Date.now()): AttemptResult {
  const result = classify(error, action, now);
  if ("error" in result) result.error = redactCredentials(result.error);
  if (result.response !== undefined) result.response = redactCredentials(result.response);
  return result;
}

function classify(error: unknown, action: string, now: number): AttemptResult {
  const answer = gitlabAnswer(error);
  if (answer !== undefined) return answerResult(answer, action, now);
  if (error instanceof GitbeakerTimeoutError) {
    return { outcome: "retry", error: `${action}: timed out waiting for GitLab` };
  }
  if (error instanceof GitbeakerRetryError) {
    return { outcome: "retry", error: `${action}: ${error.message}` };
  }
  // Anything else is the request not getting through: fetch's TypeError and its cause.
  const code = errorCode(error);
  const known = code === undefined ? undefined : CONNECTION_ERRORS[code];
  if (known !== undefined) return { outcome: "retry", error: `${action}: ${known} (${code})` };
  return {
    outcome: "retry",
    error: `${action}: request to GitLab failed${code === undefined ? "" : ` (${code})`}: ${innermostMessage(error)}`,
  };
}

function answerResult(answer: GitlabAnswer, action: string, now: number): AttemptResult {
  const { status, headers } = answer;
  const message = oneLine(answer.message, MAX_MESSAGE);
  const facts = message === "" ? { httpStatus: status } : { httpStatus: status, response: message };
  const said = message === "" ? `${status}` : `${status}: ${message}`;
  const retryAfterMs = gitlabRetryAfterMs(headers, now);
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429 || (status === 403 && isRateLimited403(headers))) {
    return {
      outcome: "retry",
      error: `${action}: rate limited by GitLab (${said})`,
      ...retryAfter,
      ...facts,
    };
  }
  if (status >= 500 || status === 408) {
    return {
      outcome: "retry",
      error: `${action}: GitLab answered ${said}`,
      ...retryAfter,
      ...facts,
    };
  }
  const hint = HINTS[status];
  return {
    outcome: "failed",
    error: `${action}: GitLab answered ${said}${hint === undefined ? "" : ` (${hint})`}`,
    ...facts,
  };
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
