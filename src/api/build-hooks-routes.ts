/**
 * `/api/v1/build_hooks`: hooks that start a build when their URL is POSTed to (the URL itself,
 * `POST /build_hooks/<token>`, is served by `server/build-hook-route.ts`). The URL is in the
 * answers that create or rotate a hook, and nowhere else: other answers show `url_hint`.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import {
  buildHookCreatedSchema,
  buildHookCreateSchema,
  buildHookPatchSchema,
  buildHookViewSchema,
  buildTriggerViewSchema,
} from "../services/build-hooks/build-hook-schemas.js";
import { BuildHookInputError, type BuildHooks } from "../services/build-hooks/build-hooks.js";
import type { ApiApp, ApiEnv } from "./api-env.js";
import { listOf, pageQuery } from "./api-schemas.js";
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

export interface BuildHooksRoutesOptions {
  buildHooks: BuildHooks;
  requires: Requires;
}

const TAG = "build hooks";

/**
 * Where this Shipcast is reached, for the hook's URL: the forwarded scheme and host a reverse
 * proxy passes on (`X-Forwarded-Proto`, `X-Forwarded-Host`), else the request's own.
 */
function publicOrigin(c: Context<ApiEnv>): string {
  return requestOrigin(c, { forwardedHost: true });
}

/** Registers the build hook routes on `app`. */
export function buildHooksRoutes(app: ApiApp, options: BuildHooksRoutesOptions): void {
  const { buildHooks, requires } = options;
  const notFound = (id: string) => ({ error: `no build hook ${id}` });

  app.openapi(
    createRoute({
      method: "get",
      path: "/build_hooks",
      operationId: "listBuildHooks",
      tags: [TAG],
      summary: "List build hooks (their URLs masked)",
      ...scoped(requires, "read"),
      responses: { 200: jsonAnswer("Every build hook", listOf(buildHookViewSchema)), 401: E401 },
    }),
    async (c) => {
      const items = await buildHooks.list();
      return c.json({ items, total: items.length, next: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/build_hooks",
      operationId: "createBuildHook",
      tags: [TAG],
      summary: "Create a build hook; its URL is in this answer only",
      description:
        "POST to the answer's `url` (`curl -X POST -d '{}' <url>`) to start the target's build. The URL is the credential: it is stored as a SHA-256 hash and never shown again (rotate it to get a new one).",
      ...scoped(requires, "write", jsonBody()),
      request: { body: jsonRequest(buildHookCreateSchema) },
      responses: {
        201: jsonAnswer("Created, with the URL", buildHookCreatedSchema),
        401: E401,
        403: E403,
        422: E422,
      },
    }),
    async (c) => {
      try {
        const created = await buildHooks.create(c.req.valid("json"), publicOrigin(c));
        return c.json(created, 201, { location: `/api/v1/build_hooks/${created.id}` });
      } catch (error) {
        if (error instanceof BuildHookInputError) return c.json(problemsBody(error.problems), 422);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/build_hooks/{id}",
      operationId: "getBuildHook",
      tags: [TAG],
      summary: "Read a build hook (its URL masked)",
      ...scoped(requires, "read"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer("The build hook", buildHookViewSchema),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await buildHooks.view(id);
      if (!view) return c.json(notFound(id), 404);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/build_hooks/{id}",
      operationId: "updateBuildHook",
      tags: [TAG],
      summary: "Change a build hook",
      description:
        "Only the fields given change. `target` fields are merged into the current target (secrets not named stay; null removes an optional field); a `target` with another `type` replaces it. `enabled: false` makes the URL answer 404 like an unknown one.",
      ...scoped(requires, "write", jsonBody()),
      request: { params: idParam, body: jsonRequest(buildHookPatchSchema) },
      responses: {
        200: jsonAnswer("The build hook after the change", buildHookViewSchema),
        401: E401,
        403: E403,
        404: E404,
        422: E422,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      try {
        const view = await buildHooks.update(id, c.req.valid("json"));
        if (!view) return c.json(notFound(id), 404);
        return c.json(view, 200);
      } catch (error) {
        if (error instanceof BuildHookInputError) return c.json(problemsBody(error.problems), 422);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/build_hooks/{id}",
      operationId: "deleteBuildHook",
      tags: [TAG],
      summary: "Delete a build hook (its triggers' events and deliveries stay)",
      ...scoped(requires, "write"),
      request: { params: idParam },
      responses: { 204: { description: "Deleted" }, 401: E401, 403: E403, 404: E404 },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await buildHooks.remove(id))) return c.json(notFound(id), 404);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/build_hooks/{id}/rotate",
      operationId: "rotateBuildHook",
      tags: [TAG],
      summary: "Give a build hook a new URL; the old one stops working at once",
      ...scoped(requires, "write"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer(
          "The build hook with its new URL (in this answer only)",
          buildHookCreatedSchema,
        ),
        401: E401,
        403: E403,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const rotated = await buildHooks.rotate(id, publicOrigin(c));
      if (!rotated) return c.json(notFound(id), 404);
      return c.json(rotated, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/build_hooks/{id}/triggers",
      operationId: "listBuildHookTriggers",
      tags: [TAG],
      summary: "A build hook's triggers, newest first, with the delivery that started each build",
      ...scoped(requires, "read"),
      request: { params: idParam, query: z.object({ ...pageQuery }) },
      responses: {
        200: jsonAnswer("One page", listOf(buildTriggerViewSchema)),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const page = await buildHooks.triggers(id, { limit, after: cursor });
      if (!page) return c.json(notFound(id), 404);
      return c.json(page, 200);
    },
  );
}
