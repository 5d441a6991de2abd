/**
 * The middleware every route starts with: the bearer token, the scope the route needs, and a
 * path whose percent-encoding decodes. It runs once the route is known (an unknown route or
 * method is answered 404/405 without a token) and before the query and body are looked at.
 */
import { createMiddleware } from "hono/factory";
import type { TokensService } from "../services/tokens/tokens-service.js";
import type { ApiEnv } from "./api-env.js";
import { allows, authenticate, type Scope } from "./auth.js";
import { requestPath } from "./request-path.js";

export interface AccessOptions {
  /** Who a token is; with no admin token configured the API is off (503). */
  tokens: TokensService;
}

/** Builds `requires(scope)`, the access check of a route that needs `scope`. */
export function accessControl(options: AccessOptions) {
  return function requires(scope: Scope) {
    return createMiddleware<ApiEnv>(async (c, next) => {
      const auth = await authenticate(c.req.header("authorization"), options.tokens);
      if (!auth.ok) return c.json({ error: auth.message }, auth.status, auth.headers);
      if (!allows(auth.principal, scope)) {
        return c.json(
          {
            error:
              scope === "admin"
                ? "only SHIPCAST_ADMIN_TOKEN may manage API tokens"
                : `this token's scope is "read"; ${c.req.method} ${requestPath(c.req.url)} needs "write"`,
          },
          403,
        );
      }
      if (!decodesCleanly(new URL(c.req.url).pathname)) {
        return c.json({ error: "malformed percent-encoding in the path" }, 400);
      }
      c.set("principal", auth.principal);
      await next();
    });
  };
}

/** Whether every segment of `pathname` is valid percent-encoded UTF-8. */
function decodesCleanly(pathname: string): boolean {
  try {
    for (const segment of pathname.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
