/**
 * `/api/v1/sources`: the sources managed through the API (each with its own URL and secrets),
 * the environment-variable sources read-only, and the JSON Schema of the generic body.
 */
import { createRoute } from "@hono/zod-openapi";
import {
  sourceCreateSchema,
  sourcePatchSchema,
  sourceViewSchema,
} from "../services/sources/source-schemas.js";
import {
  ReadOnlySourceError,
  SourceInputError,
  type Sources,
} from "../services/sources/sources.js";
import { genericBodyJsonSchema } from "../sources/generic-body.js";
import type { ApiApp } from "./api-env.js";
import { errorSchema, listOf } from "./api-schemas.js";
import { jsonBody } from "./json-body.js";
import { problemsBody } from "./problems.js";
import { requestOrigin } from "./request-origin.js";
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

export interface SourcesRoutesOptions {
  sources: Sources;
  requires: Requires;
}

const E409 = jsonAnswer(
  "The source of an environment variable: change the variable instead",
  errorSchema,
);

/** Registers the sources routes on `app`. */
export function sourcesRoutes(app: ApiApp, options: SourcesRoutesOptions): void {
  const { sources, requires } = options;

  app.openapi(
    createRoute({
      method: "get",
      path: "/sources",
      operationId: "listSources",
      tags: ["sources"],
      summary: "List sources",
      description:
        "Sources created through the API (oldest first), then the environment-variable sources (read-only). Secrets are never shown.",
      ...scoped(requires, "read"),
      responses: { 200: jsonAnswer("All sources", listOf(sourceViewSchema)), 401: E401 },
    }),
    async (c) => {
      const items = await sources.list(requestOrigin(c));
      return c.json({ items, total: items.length, next: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/sources",
      operationId: "createSource",
      tags: ["sources"],
      summary: "Create a source: its own URL and secret",
      description:
        "The answer's `url` is what the sender posts to. The secret is stored encrypted (SHIPCAST_ENCRYPTION_KEY) and never shown again.",
      ...scoped(requires, "write", jsonBody()),
      request: { body: jsonRequest(sourceCreateSchema) },
      responses: {
        201: jsonAnswer("Created", sourceViewSchema),
        401: E401,
        403: E403,
        422: E422,
      },
    }),
    async (c) => {
      try {
        const view = await sources.create(c.req.valid("json"), requestOrigin(c));
        return c.json(view, 201, { location: `/api/v1/sources/${view.id}` });
      } catch (error) {
        if (error instanceof SourceInputError) return c.json(problemsBody(error.problems), 422);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/sources/{id}",
      operationId: "getSource",
      tags: ["sources"],
      summary: "Read a source",
      ...scoped(requires, "read"),
      request: { params: idParam },
      responses: { 200: jsonAnswer("The source", sourceViewSchema), 401: E401, 404: E404 },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await sources.view(id, requestOrigin(c));
      if (!view) return c.json({ error: `no source ${id}` }, 404);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/sources/{id}",
      operationId: "updateSource",
      tags: ["sources"],
      summary: "Change a source, or rotate its secret",
      description:
        "Only the fields given change. A new `secret` keeps the previous one valid until `previous_secret_expires_at` (default 24 hours), so the sender can switch without a refused delivery. `enabled: false` makes the route answer 404, like an unknown id.",
      ...scoped(requires, "write", jsonBody()),
      request: { params: idParam, body: jsonRequest(sourcePatchSchema) },
      responses: {
        200: jsonAnswer("The source after the change", sourceViewSchema),
        401: E401,
        403: E403,
        404: E404,
        409: E409,
        422: E422,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      try {
        const view = await sources.update(id, c.req.valid("json"), requestOrigin(c));
        if (!view) return c.json({ error: `no source ${id}` }, 404);
        return c.json(view, 200);
      } catch (error) {
        if (error instanceof SourceInputError) return c.json(problemsBody(error.problems), 422);
        if (error instanceof ReadOnlySourceError) return c.json({ error: error.message }, 409);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/sources/{id}",
      operationId: "deleteSource",
      tags: ["sources"],
      summary: "Delete a source (its events stay, with its id)",
      ...scoped(requires, "write"),
      request: { params: idParam },
      responses: { 204: { description: "Deleted" }, 401: E401, 403: E403, 404: E404, 409: E409 },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      try {
        if (!(await sources.remove(id))) return c.json({ error: `no source ${id}` }, 404);
        return c.body(null, 204);
      } catch (error) {
        if (error instanceof ReadOnlySourceError) return c.json({ error: error.message }, 409);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/schema/generic.json",
      operationId: "getGenericSchema",
      tags: ["documents"],
      summary: "JSON Schema of the body a generic source accepts",
      ...scoped(requires, "read"),
      responses: { 200: { description: "JSON Schema, draft 2020-12" }, 401: E401 },
    }),
    (c) => c.json(genericBodyJsonSchema(), 200, { "content-type": "application/schema+json" }),
  );
}
