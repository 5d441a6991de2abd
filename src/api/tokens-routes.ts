/** `/api/v1/tokens`: API tokens, managed with `SHIPCAST_ADMIN_TOKEN` only. */
import { createRoute } from "@hono/zod-openapi";
import type { TokensService } from "../services/tokens/tokens-service.js";
import type { ApiApp } from "./api-env.js";
import { listOf, tokenCreatedSchema, tokenCreateSchema, tokenSchema } from "./api-schemas.js";
import { jsonBody } from "./json-body.js";
import {
  E401,
  E403,
  E404,
  E422,
  idParam,
  jsonAnswer,
  jsonRequest,
  type Requires,
  scoped,
} from "./route-docs.js";

export interface TokensRoutesOptions {
  tokens: TokensService;
  requires: Requires;
}

/** Registers the token routes on `app`. */
export function tokensRoutes(app: ApiApp, options: TokensRoutesOptions): void {
  const { tokens, requires } = options;

  app.openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      operationId: "listTokens",
      tags: ["tokens"],
      summary: "API tokens (never the tokens themselves)",
      ...scoped(requires, "admin"),
      responses: {
        200: jsonAnswer("Every token, newest first", listOf(tokenSchema)),
        401: E401,
        403: E403,
      },
    }),
    async (c) => {
      const items = await tokens.list();
      return c.json({ items, total: items.length, next: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      operationId: "createToken",
      tags: ["tokens"],
      summary: "Create an API token (admin token only); the token is in this answer only",
      ...scoped(requires, "admin", jsonBody()),
      request: { body: jsonRequest(tokenCreateSchema) },
      responses: {
        201: jsonAnswer("Created", tokenCreatedSchema),
        401: E401,
        403: E403,
        422: E422,
      },
    }),
    async (c) => {
      return c.json(await tokens.create(c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      operationId: "revokeToken",
      tags: ["tokens"],
      summary: "Revoke an API token",
      ...scoped(requires, "admin"),
      request: { params: idParam },
      responses: { 204: { description: "Revoked" }, 401: E401, 403: E403, 404: E404 },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await tokens.revoke(id))) return c.json({ error: `no live token ${id}` }, 404);
      return c.body(null, 204);
    },
  );
}
