import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Config } from "../config/env.js";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { SOURCES } from "../sources/index.js";
import type { Store } from "../store/database.js";
import { sendError, sendJson } from "./respond.js";
import { createSourceRoute } from "./source-route.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  config: Config;
  store: Store;
  inbox: InboxWriter;
  log: Logger;
  version: string;
  /** Everything under `/api/v1` (see `api/api-app.ts`). */
  api: (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => Promise<void>;
  /** The dashboard: every path outside `/api/` (see `web/web-app.ts`); `/` answers JSON without it. */
  web?: (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => Promise<void>;
}

/**
 * The HTTP front door: a bare `node:http` server, because the ingest path must stay as fast as
 * one. Source routes verify, store and acknowledge; everything else is the API and health.
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const { config, store, inbox, log, version, api, web } = options;
  const sourceRoutes = new Map<string, Handler>(
    SOURCES.map((source) => [
      source.route,
      createSourceRoute({
        source,
        secret: config.sources[source.name as keyof Config["sources"]]?.secret,
        maxPayloadBytes: config.maxPayloadBytes,
        inbox,
        log,
      }),
    ]),
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://shipcast.invalid");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;

    const sourceRoute = sourceRoutes.get(path);
    if (sourceRoute) return sourceRoute(req, res);

    if (path === "/healthz") {
      try {
        await store.ping();
        sendJson(res, 200, { status: "ok" });
      } catch (error) {
        log.warn({ err: error }, "health check: store unavailable");
        sendJson(res, 503, { status: "unavailable", error: "the store does not answer" });
      }
      return;
    }

    // The status document: for JSON clients at `/` (the dashboard answers browsers there).
    if (path === "/" && (!web || prefersJson(req.headers.accept))) {
      sendJson(res, 200, {
        name: "shipcast",
        version,
        sources: Object.fromEntries(
          SOURCES.map((s) => [
            s.name,
            {
              route: s.route,
              active: config.sources[s.name as keyof Config["sources"]]?.secret !== undefined,
            },
          ]),
        ),
      });
      return;
    }

    if (path === "/api/v1" || path.startsWith("/api/v1/")) return api(req, res, url, path);
    if (web && path !== "/api" && !path.startsWith("/api/")) return web(req, res, url, path);

    sendError(res, 404, `no route for ${req.method} ${path}`);
  }

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, (req, res) => {
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, url: req.url, method: req.method }, "request failed");
      sendError(res, 500, "internal error");
    });
  });
  // Malformed HTTP (bad headers, truncated request lines) never reaches a handler.
  server.on("clientError", (error, socket) => {
    if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  return server;
}

/** Whether an `Accept` header asks for JSON rather than a page. */
function prefersJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}
