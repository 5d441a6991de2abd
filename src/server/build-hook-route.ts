/**
 * `POST /build_hooks/<token>`: Netlify's build hook, on the bare `node:http` server next to the
 * source routes. `curl -X POST -d '{}' <url>` is answered 202 with the trigger's id as soon as
 * the trigger is committed; the build itself starts in the delivery workers.
 *
 * Whether a token opens a hook is the one thing this route must not tell anyone who does not
 * hold it. An unknown token and a disabled hook's take the same steps (the token's SHA-256, one
 * index probe that finds nothing) and get the same answer: same status, headers and body, from
 * one constant, before any byte of the body is read. Everything the headers decide without the
 * hook (method, declared size) is decided first, the same for every token. The token never goes
 * into a log line or an answer.
 *
 * The body (any content type, at most 64 KiB, counted against MAX_INFLIGHT_BYTES like the
 * source routes' bodies) is kept with the event as its payload.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logging/logger.js";
import { BUILD_HOOK_PATH_PREFIX } from "../services/build-hooks/build-hook-id.js";
import type { BuildHookTriggers } from "../services/build-hooks/build-hook-triggers.js";
import { answerUnread } from "./answer-unread.js";
import type { ByteBudget } from "./byte-budget.js";
import {
  InflightLimitError,
  PayloadTooLargeError,
  RequestAbortedError,
  readBody,
} from "./read-body.js";
import { sendError, sendJson } from "./respond.js";
import { BUSY_RETRY_AFTER_SECONDS } from "./source-route.js";

/** Largest trigger body: a build hook needs none, Netlify passes a small one on to the build. */
export const MAX_TRIGGER_BODY_BYTES = 64 * 1024;

/** The one answer of an unknown, disabled or just rotated hook. */
export const BUILD_HOOK_NOT_FOUND = "no build hook at this URL";

export interface BuildHookRouteOptions {
  triggers: Pick<BuildHookTriggers, "find" | "accept">;
  /** The bytes of bodies buffered at once, shared with the source routes (MAX_INFLIGHT_BYTES). */
  budget: ByteBudget;
  log: Logger;
  /** Largest body. Default {@link MAX_TRIGGER_BODY_BYTES}. */
  maxBodyBytes?: number;
}

/** Whether `path` (trailing slashes removed) is one the build hook route serves. */
export function isBuildHookPath(path: string): boolean {
  return path.startsWith(BUILD_HOOK_PATH_PREFIX);
}

/** Creates the handler of every path under `/build_hooks/`. It never throws. */
export function createBuildHookRoute(options: BuildHookRouteOptions) {
  const { triggers, budget, log } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_TRIGGER_BODY_BYTES;
  const tooLarge = `body larger than ${maxBodyBytes} bytes`;
  const unavailable = "the trigger could not be stored; retry later";

  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    if (req.method !== "POST") {
      answerUnread(req, res, 405, "use POST to trigger a build hook", { allow: "POST" });
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      answerUnread(req, res, 413, tooLarge);
      return;
    }
    const reservation = budget.reservation();
    try {
      const found = await triggers.find(path.slice(BUILD_HOOK_PATH_PREFIX.length));
      if (found === undefined) {
        answerUnread(req, res, 404, BUILD_HOOK_NOT_FOUND);
        return;
      }
      const busy = () =>
        answerUnread(req, res, 503, "too many request bytes in flight; retry later", {
          "retry-after": String(BUSY_RETRY_AFTER_SECONDS),
        });
      if (Number.isFinite(declared) && !reservation.ensure(declared)) {
        busy();
        return;
      }
      if (/^100-continue$/i.test(req.headers.expect ?? "")) res.writeContinue();
      let body: Buffer;
      try {
        body = await readBody(req, maxBodyBytes, reservation);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) answerUnread(req, res, 413, tooLarge);
        else if (error instanceof InflightLimitError) busy();
        else if (!(error instanceof RequestAbortedError)) throw error;
        return;
      }
      const answer = await triggers.accept(found, {
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      if (answer.status === 202) sendJson(res, 202, { id: answer.id });
      else if (answer.status === "gone") sendError(res, 404, BUILD_HOOK_NOT_FOUND);
      else if (answer.status === 429) {
        sendError(res, 429, answer.error, { "retry-after": String(answer.retryAfterSeconds) });
      } else sendError(res, answer.status, answer.error);
    } catch (error) {
      // Not stored, so not acknowledged: the caller may retry. The URL holds the token: not logged.
      log.error({ err: error }, "build hook: a trigger could not be taken");
      if (!res.headersSent) answerUnread(req, res, 503, unavailable);
    } finally {
      reservation.release();
    }
  };
}
