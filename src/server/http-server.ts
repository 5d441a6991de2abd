import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Config } from "../config/env.js";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import type { ShipcastMetrics } from "../metrics/shipcast-metrics.js";
import type { BuildHookTriggers } from "../services/build-hooks/build-hook-triggers.js";
import { SOURCES } from "../sources/index.js";
import type { Store } from "../store/database.js";
import { createBuildHookRoute, isBuildHookPath } from "./build-hook-route.js";
import { ByteBudget } from "./byte-budget.js";
import { limitConnectionsPerAddress } from "./connection-limits.js";
import { createMetricsRoute } from "./metrics-route.js";
import { sendError, sendJson } from "./respond.js";
import {
  createSourceRoute,
  createSourcesRoute,
  PER_SOURCE_ROUTE,
  type SourceLookup,
} from "./source-route.js";
import type { WebhookRequest } from "./webhook-log.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  config: Config;
  store: Store;
  inbox: InboxWriter;
  log: Logger;
  version: string;
  /**
   * The sources managed through the API, for `/api/sources/<id>/webhooks` (in memory: see
   * `services/sources/source-directory.ts`). Without it every id is unknown.
   */
  sources?: SourceLookup;
  /** Everything under `/api/v1` (see `api/api-app.ts`). */
  api: (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => Promise<void>;
  /** The dashboard: every path outside `/api/` (see `web/web-app.ts`); `/` answers JSON without it. */
  web?: (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => Promise<void>;
  /** `POST /build_hooks/<token>` (see `build-hook-route.ts`); absent: no such route. */
  buildHooks?: Pick<BuildHookTriggers, "find" | "accept">;
  /** The metrics: fed by the source routes, served at `/metrics` when METRICS_TOKEN is set. */
  metrics?: ShipcastMetrics;
}

/** How long `/readyz` waits for the store before it answers that the store does not answer. */
export const READINESS_TIMEOUT_MS = 2000;

/**
 * The HTTP front door: a bare `node:http` server, because the ingest path must stay as fast as
 * one. Source routes verify, store and acknowledge; everything else is the API and health.
 * The limits of `config.limits` bound what a client can hold: body bytes in memory (shared by
 * the source routes), time for headers, for the whole request and idle between requests, and
 * connections, per address and in all.
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const { config, store, inbox, log, version, api, web, sources, metrics } = options;
  const { limits } = config;
  const budget = new ByteBudget(limits.maxInflightBytes);
  const metricsRoute =
    metrics && config.metricsToken
      ? createMetricsRoute({ token: config.metricsToken, metrics })
      : undefined;
  const onRequest =
    metrics && ((r: WebhookRequest) => metrics.webhookAnswered(r.source, r.outcome, r.reason));
  const sourceRoutes = new Map<string, Handler>(
    SOURCES.map((source) => [
      source.route,
      createSourceRoute({
        source,
        secret: config.sources[source.name as keyof Config["sources"]]?.secret,
        maxPayloadBytes: config.maxPayloadBytes,
        budget,
        inbox,
        log,
        onRequest,
      }),
    ]),
  );

  const sourcesRoute = createSourcesRoute({
    lookup: sources ?? (() => undefined),
    maxPayloadBytes: config.maxPayloadBytes,
    budget,
    inbox,
    log,
    onRequest,
  });
  const buildHookRoute =
    options.buildHooks && createBuildHookRoute({ triggers: options.buildHooks, budget, log });

  // Which response is being written on a socket: a client error then must not write another.
  const answering = new WeakMap<Socket, ServerResponse>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    answering.set(socket, res);
    res.once("finish", () => {
      if (answering.get(socket) === res) answering.delete(socket);
    });
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, url: req.url, method: req.method }, "request failed");
      sendError(res, 500, "internal error");
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://shipcast.invalid");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;

    const sourceRoute = sourceRoutes.get(path);
    if (sourceRoute) return sourceRoute(req, res);
    const perSource = PER_SOURCE_ROUTE.exec(path);
    if (perSource) return sourcesRoute(req, res, perSource[1] as string);
    if (buildHookRoute && isBuildHookPath(path)) return buildHookRoute(req, res, url, path);
    // Source routes decide themselves whether a body announced by Expect: 100-continue is wanted.
    if (/^100-continue$/i.test(req.headers.expect ?? "")) res.writeContinue();

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

    // Readiness, unlike liveness: whether this process can serve now. During start-up the
    // starting server answers it 503 (see `starting-server.ts`).
    if (path === "/readyz") {
      try {
        await within(store.ping(), READINESS_TIMEOUT_MS);
        sendJson(res, 200, { status: "ready" });
      } catch (error) {
        log.warn({ err: error }, "readiness check: store unavailable");
        sendJson(res, 503, { status: "unavailable", error: "the store does not answer" });
      }
      return;
    }

    // Off without METRICS_TOKEN: 404 here, not the dashboard's sign-in page.
    if (path === "/metrics") {
      if (metricsRoute) return metricsRoute(req, res);
      return sendError(res, 404, `no route for ${req.method} ${path}`);
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

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node enforces the two timeouts above only when it checks its connections (every 30 s by
      // default): check often enough that a slow client is closed close to its deadline.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 2)),
      ),
    },
    handle,
  );
  // Requests with Expect: 100-continue reach the same handler without Node answering 100 first.
  server.on("checkContinue", handle);
  server.maxConnections = limits.maxConnections;
  limitConnectionsPerAddress(server, limits.maxConnectionsPerAddress);
  // Malformed HTTP (bad headers, truncated request lines) and clients past their time limit never
  // reach a handler: they get a status line when nothing else was written, and are closed.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = answering.get(socket);
    if (error.code !== "ECONNRESET" && socket.writable && !inFlight?.headersSent) {
      socket.write(clientErrorAnswer(error.code));
    }
    socket.destroy();
  });
  return server;
}

/** `promise`, or a rejection once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The raw answer to a request the parser refused or a client past its time limit. */
function clientErrorAnswer(code: string | undefined): string {
  const status =
    code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? "408 Request Timeout"
      : code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : "400 Bad Request";
  return `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;
}

/** Whether an `Accept` header asks for JSON rather than a page. */
function prefersJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}
