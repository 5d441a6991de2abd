/**
 * The delivery-log record of one attempt, built the same way for the workers, manual sends and
 * the deliveries the planner refused.
 */
import type { AttemptResult } from "../notifiers/kit/notifier.js";
import type { AttemptRecord } from "../store/delivery-records.js";

/** Longest response excerpt kept in the delivery log. */
export const RESPONSE_EXCERPT_LIMIT = 16 * 1024;

/** The request for the log: its body truncated like the answer's. */
function truncateRequest(request: NonNullable<AttemptResult["request"]>) {
  if (request.body === undefined || request.body.length <= RESPONSE_EXCERPT_LIMIT) return request;
  return { ...request, body: request.body.slice(0, RESPONSE_EXCERPT_LIMIT) };
}

/**
 * The last request body written as JSON, and that JSON: the deliveries of one event to its
 * webhook targets carry the very same body string, which only needs escaping once.
 */
let lastBody: string | undefined;
let lastBodyJson = "";

/**
 * `JSON.stringify(request)` (truncated), with the body's JSON text reused from the previous
 * record when it is the same string. Only when `body` is the last property, so that the text is
 * exactly what `JSON.stringify` gives.
 */
export function requestJson(request: NonNullable<AttemptResult["request"]>): string {
  const truncated = truncateRequest(request);
  const { body, ...rest } = truncated;
  const names = Object.keys(truncated);
  if (body === undefined || names[names.length - 1] !== "body") return JSON.stringify(truncated);
  if (body !== lastBody) {
    lastBody = body;
    lastBodyJson = JSON.stringify(body);
  }
  const head = JSON.stringify(rest);
  return head === "{}"
    ? `{"body":${lastBodyJson}}`
    : `${head.slice(0, -1)},"body":${lastBodyJson}}`;
}

/**
 * The delivery-log record of one attempt's result (without a retry time: the caller decides
 * that). Answers and request bodies are cut at `RESPONSE_EXCERPT_LIMIT`.
 */
export function attemptRecordOf(
  result: AttemptResult,
  attempt: { deliveryId: string; attempt: number; startedAt: string; durationMs: number },
): AttemptRecord {
  return {
    ...attempt,
    outcome: result.outcome,
    httpStatus: result.httpStatus,
    error:
      result.outcome === "succeeded"
        ? undefined
        : result.outcome === "skipped"
          ? `skipped: ${result.reason}`
          : result.error,
    response: result.response?.slice(0, RESPONSE_EXCERPT_LIMIT),
    responseHeaders: result.responseHeaders && JSON.stringify(result.responseHeaders),
    request: result.request && requestJson(result.request),
  };
}
