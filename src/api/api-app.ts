/**
 * The management API as a Hono app under `/api/v1`, built with `@hono/zod-openapi`: each route
 * is one `createRoute` definition (method, path, scope, the zod schemas of its query, body and
 * answers) and a handler typed from it. Requests are validated with those schemas and the
 * OpenAPI document is generated from them. A later app (the dashboard) can mount it with
 * `root.route("/", api)`, giving the root the same `getPath` ({@link routingPath}).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../logging/logger.js";
import { RequestAbortedError } from "../server/read-body.js";
import type { BuildHooks } from "../services/build-hooks/build-hooks.js";
import {
  NotificationInputError,
  ReadOnlyTargetError,
} from "../services/notifications/notifications.js";
import { RateLimitedError, RefusedError } from "../services/service-errors.js";
import type { Services } from "../services/services.js";
import { accessControl } from "./access.js";
import { API_BASE, type ApiApp, type ApiEnv } from "./api-env.js";
import { buildHooksRoutes } from "./build-hooks-routes.js";
import { deliveriesRoutes } from "./deliveries-routes.js";
import { documentsRoutes } from "./documents-routes.js";
import { eventsRoutes } from "./events-routes.js";
import { notificationsRoutes } from "./notifications-routes.js";
import { registerDocumentParts } from "./openapi.js";
import { invalidQueryMessage, problemsBody, problemsOf } from "./problems.js";
import { requestPath, routingPath } from "./request-path.js";
import { routeGuard } from "./route-guard.js";
import { sourcesRoutes } from "./sources-routes.js";
import { tokensRoutes } from "./tokens-routes.js";

export interface ApiDependencies {
  /** What every route calls; with no admin token configured the API is off (503). */
  services: Services;
  version: string;
  log: Logger;
  /** The build hooks (`/api/v1/build_hooks`); absent: no such routes. */
  buildHooks?: BuildHooks;
}

/** Builds the API app with every route. */
export function createApiApp(deps: ApiDependencies): ApiApp {
  const app = new OpenAPIHono<ApiEnv>({
    getPath: routingPath,
    // A query or body its schema refuses: 400 naming every field of a query, 422 for a body.
    defaultHook: (result, c) => {
      if (result.success) return;
      if (result.target === "json") return c.json(problemsBody(problemsOf(result.error)), 422);
      return c.json({ error: invalidQueryMessage(result.error) }, 400);
    },
  }).basePath(API_BASE);

  app.use(utf8Json);
  app.use(routeGuard(API_BASE, () => declaredRoutes(app)));
  app.notFound((c) =>
    c.json({ error: `no route for ${c.req.method} ${requestPath(c.req.url)}` }, 404),
  );
  app.onError((error, c) => errorAnswer(error, c, deps.log));
  registerDocumentParts(app);

  const { services, version } = deps;
  const requires = accessControl({ tokens: services.tokens });
  notificationsRoutes(app, { services, requires });
  deliveriesRoutes(app, { services, requires });
  eventsRoutes(app, { events: services.events, requires });
  tokensRoutes(app, { tokens: services.tokens, requires });
  sourcesRoutes(app, { sources: services.sources, requires });
  if (deps.buildHooks) buildHooksRoutes(app, { buildHooks: deps.buildHooks, requires });
  documentsRoutes(app, { requires, version });
  return app;
}

/** Every route of the document, in the order they were defined. */
function declaredRoutes(app: ApiApp) {
  return app.openAPIRegistry.definitions.flatMap((definition) =>
    definition.type === "route" ? [definition.route] : [],
  );
}

/** JSON answers say their charset, as they always have. */
async function utf8Json(c: Context<ApiEnv>, next: () => Promise<void>): Promise<void> {
  await next();
  if (c.res.headers.get("content-type") === "application/json") {
    c.res.headers.set("content-type", "application/json; charset=utf-8");
  }
}

/** What a handler's error answers: the services' refusals by status, anything else a 500. */
function errorAnswer(error: Error, c: Context<ApiEnv>, log: Logger): Response {
  if (error instanceof NotificationInputError) {
    return c.json(problemsBody(error.problems), 422);
  }
  if (error instanceof ReadOnlyTargetError) return c.json({ error: error.message }, 409);
  if (error instanceof RefusedError) return c.json({ error: error.message }, error.status);
  if (error instanceof RateLimitedError) {
    return c.json({ error: error.message }, 429, {
      "retry-after": String(error.retryAfterSeconds),
    });
  }
  // The client is gone: nobody reads this answer.
  if (error instanceof RequestAbortedError) return c.body(null, 400);
  if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
  log.error({ err: error, url: c.req.url, method: c.req.method }, "request failed");
  return c.json({ error: "internal error" }, 500);
}
