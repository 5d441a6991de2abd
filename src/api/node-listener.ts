/**
 * The API behind `node:http`: the server's front door hands every `/api/v1` request to the
 * Hono app through `@hono/node-server`, while the webhook source routes stay on bare
 * `node:http`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import type { Logger } from "../logging/logger.js";

/** What the HTTP server calls for `/api/v1/*`; the app reads method, path and query from `req`. */
export type ApiHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
) => Promise<void>;

/** Anything with a fetch handler: the API app, or a root app that mounts it. */
export interface FetchApp {
  fetch(request: Request, env: HttpBindings | Http2Bindings): Response | Promise<Response>;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** Serves `app` to `node:http` requests. */
export function createApiHandler(app: FetchApp, log: Logger): ApiHandler {
  const listener = getRequestListener((request, env) => app.fetch(request, env), {
    // Leave the process's Request and Response alone: the rest of Shipcast uses undici's.
    overrideGlobalObjects: false,
    // An HTTP/1.0 request may come without a Host header; the API does not need one.
    hostname: "shipcast.invalid",
    errorHandler: (error) => {
      // The request line or Host header could not make a URL; anything else is a bug.
      const badRequest = error instanceof Error && error.name === "RequestError";
      if (!badRequest) log.error({ err: error }, "request failed");
      return new Response(
        JSON.stringify({
          error: badRequest ? `malformed request: ${error.message}` : "internal error",
        }),
        { status: badRequest ? 400 : 500, headers: JSON_HEADERS },
      );
    },
  });
  return (req, res) => listener(req, res);
}
