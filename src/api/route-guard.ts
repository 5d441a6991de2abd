/**
 * Answers what no route serves, before any token is asked for: 404 for an unknown path, 405
 * with `Allow` for a known path and another method (HEAD and OPTIONS included, which Hono would
 * otherwise serve or leave to the 404 handler).
 */

import { createMiddleware } from "hono/factory";
import { mergePath } from "hono/utils/url";
import type { ApiEnv } from "./api-env.js";
import { requestPath, routingPath } from "./request-path.js";

/** A route as the OpenAPI registry lists it: lower-case method, `{param}` path. */
export interface DeclaredRoute {
  method: string;
  path: string;
}

interface CompiledRoute {
  method: string;
  pattern: RegExp;
}

function compile(base: string, route: DeclaredRoute): CompiledRoute {
  const source = mergePath(base, route.path)
    .split("/")
    .map((segment) =>
      /^\{\w+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return { method: route.method.toUpperCase(), pattern: new RegExp(`^${source}$`) };
}

/**
 * The middleware. `routes` is read on the first request, once every route is registered.
 */
export function routeGuard(base: string, routes: () => DeclaredRoute[]) {
  let compiled: CompiledRoute[] | undefined;
  return createMiddleware<ApiEnv>(async (c, next) => {
    compiled ??= routes().map((route) => compile(base, route));
    const path = routingPath(c.req.raw);
    const candidates = compiled.filter((route) => route.pattern.test(path));
    const shown = requestPath(c.req.url);
    if (candidates.length === 0) {
      return c.json({ error: `no route for ${c.req.method} ${shown}` }, 404);
    }
    if (!candidates.some((route) => route.method === c.req.method)) {
      const allow = [...new Set(candidates.map((route) => route.method))].join(", ");
      return c.json({ error: `${c.req.method} is not supported on ${shown}` }, 405, { allow });
    }
    await next();
  });
}
