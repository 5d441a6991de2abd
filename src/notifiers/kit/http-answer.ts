/**
 * How the outputs that call a user's URL (Slack, webhooks) read and judge what came back: one
 * bounded body reader, one answer classifier, one classifier for requests that got no answer.
 * Each output only names who answered and adds its own words (Slack's documented error codes).
 *
 * | answer                                  | result                                         |
 * | --------------------------------------- | ---------------------------------------------- |
 * | 2xx                                     | succeeded                                      |
 * | 3xx                                     | failed: redirects are not followed             |
 * | 410 Gone, when the output says so       | failed, and the target is disabled             |
 * | 408, 429, 5xx                           | retry (`Retry-After` passed on, 408 excepted)  |
 * | other 4xx                               | failed                                         |
 * | timeout, connection or TLS error        | retry                                          |
 * | refused by the network guard            | failed                                         |
 * | a request the client could not build    | failed                                         |
 */
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import {
  CONNECTION_ERRORS,
  errorCode,
  innermostMessage,
  parseRetryAfter,
} from "../../outbound/http-facts.js";
import { networkGuardRefusal } from "../../outbound/network-guard.js";
import { readBounded } from "../../outbound/read-bounded.js";
import type { AttemptResult } from "./notifier.js";
import { REDACTED } from "./redact.js";

/**
 * Bytes of an answer kept for the delivery log (REFERENCE.md: "truncated, e.g. 16 KB"); the
 * delivery engine cuts what it records at the same length.
 */
export const RESPONSE_EXCERPT_LIMIT = 16 * 1024;

/** Characters of the answer quoted in an error message. */
const MAX_QUOTED_BODY = 300;

/** What a receiver answered, as far as it was read. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The start of the body, at most `RESPONSE_EXCERPT_LIMIT` bytes, decoded as UTF-8. */
  body: string;
}

/**
 * Reads at most `limit` bytes of the body and cancels the rest, so a receiver streaming without
 * end holds neither memory nor the attempt; a body cut off mid-stream is no error, and a
 * character split by the limit is dropped (`outbound/read-bounded.ts`, which `OutboundHttp.send`
 * reads with too).
 */
export async function readAnswer(
  response: Response,
  limit = RESPONSE_EXCERPT_LIMIT,
): Promise<HttpAnswer> {
  const answer = { status: response.status, headers: response.headers };
  if (response.body === null) return { ...answer, body: "" };
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  return { ...answer, body: await readBounded(body, limit) };
}

/** The answer's headers as an object (lower-case names); cookies are redacted. */
export function headersObject(headers: Headers): Record<string, string> {
  const object: Record<string, string> = {};
  headers.forEach((value, name) => {
    object[name] = name === "set-cookie" ? REDACTED : value;
  });
  return object;
}

/** The answer's text for a message: one line, short. */
export function bodyExcerpt(body: string, max = MAX_QUOTED_BODY): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** What an output says about its receiver when classifying. */
export interface AnswerWords {
  /** Who answered, in messages: `Slack`, `the receiver`. */
  who: string;
  /**
   * Whether `410 Gone` disables the target at once (REFERENCE.md: an outgoing webhook's
   * receiver saying it is gone for good). Default false: a plain permanent failure.
   */
  goneDisablesTarget?: boolean;
  /** Words added to a permanent rejection, e.g. what one of Slack's error codes means. */
  hint?(answer: HttpAnswer, said: string): string | undefined;
}

/**
 * The result of an attempt that got `answer`, with the answer's status, headers and body as
 * facts for the log. See the table at the top of this module.
 */
export function classifyAnswer(answer: HttpAnswer, words: AnswerWords): AttemptResult {
  const { status, headers, body } = answer;
  const { who } = words;
  const facts = { httpStatus: status, response: body, responseHeaders: headersObject(headers) };
  if (status >= 200 && status < 300) return { outcome: "succeeded", ...facts };
  // Only a failure quotes the answer (a success's body can be 16 KiB nobody reads here).
  const said = bodyExcerpt(body);
  const answered = `${who} answered ${said === "" ? status : `${status} ${said}`}`;
  if (status >= 300 && status < 400) {
    const location = headers.get("location");
    return {
      outcome: "failed",
      error:
        `${who} answered ${status}: redirects are not followed` +
        (location === null ? "" : ` (Location: ${location})`),
      ...facts,
    };
  }
  if (status === 410 && words.goneDisablesTarget) {
    return {
      outcome: "failed",
      error: `${answered}: the notification is disabled`,
      disableTarget: `${who} answered 410 Gone`,
      ...facts,
    };
  }
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"));
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) {
    return {
      outcome: "retry",
      error: `rate limited: ${answered}`,
      ...retryAfter,
      ...facts,
    };
  }
  if (status >= 500 && status < 600) {
    return { outcome: "retry", error: answered, ...retryAfter, ...facts };
  }
  // Request Timeout: the receiver gave up waiting for the request, which may go through later.
  if (status === 408) return { outcome: "retry", error: answered, ...facts };
  const hint = words.hint?.(answer, said);
  return {
    outcome: "failed",
    error: hint === undefined ? answered : `${answered} (${hint})`,
    ...facts,
  };
}

/** What an output says about a request that got no answer. */
export interface RequestErrorWords {
  /** Who did not answer, in messages: `Slack`, `the receiver`. */
  who: string;
  /** Added to a TLS error (a webhook's `ssl_verification: false`). */
  tlsHint?: string;
}

/**
 * The result of an attempt whose request got no answer: refused by the network guard or not
 * buildable (permanent until the settings change), or timed out, refused, reset, or failed in
 * TLS or DNS (worth another try). `signal` is the attempt's: the engine aborts it exactly when
 * the attempt's time is up.
 */
export function classifyRequestError(
  error: unknown,
  signal: AbortSignal,
  words: RequestErrorWords,
): AttemptResult {
  // The address is not allowed; asking again will not change that until the settings do. The
  // guard's message names the host, never the URL's path.
  const refusal = networkGuardRefusal(error);
  if (refusal !== undefined) return { outcome: "failed", error: refusal.message };
  if (signal.aborted) return { outcome: "retry", error: `timed out waiting for ${words.who}` };
  const code = errorCode(error);
  if (code === "UND_ERR_INVALID_ARG") {
    return {
      outcome: "failed",
      error: `the request could not be sent: ${innermostMessage(error)}`,
    };
  }
  const known = code === undefined ? undefined : CONNECTION_ERRORS[code];
  if (known !== undefined) return { outcome: "retry", error: `${known} (${code})` };
  if (code?.startsWith("ERR_TLS") || code?.includes("CERT")) {
    const hint = words.tlsHint === undefined ? "" : ` (${words.tlsHint})`;
    return { outcome: "retry", error: `TLS error (${code}): ${innermostMessage(error)}${hint}` };
  }
  return {
    outcome: "retry",
    error: `request failed${code === undefined ? "" : ` (${code})`}: ${innermostMessage(error)}`,
  };
}
