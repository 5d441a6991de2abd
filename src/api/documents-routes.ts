/** The published documents: the OpenAPI document of this API and the webhook body's schema. */
import { createRoute } from "@hono/zod-openapi";
import { deployEventJsonSchema } from "../events/deploy-event-schema.js";
import type { ApiApp } from "./api-env.js";
import { openApiDocument } from "./openapi.js";
import { E401, type Requires, scoped } from "./route-docs.js";

export interface DocumentsRoutesOptions {
  requires: Requires;
  version: string;
}

/** Registers the document routes on `app`; register them last, the document lists every route. */
export function documentsRoutes(app: ApiApp, options: DocumentsRoutesOptions): void {
  const { requires, version } = options;

  app.openapi(
    createRoute({
      method: "get",
      path: "/schema/event.json",
      operationId: "getEventSchema",
      tags: ["documents"],
      summary: "JSON Schema of the outgoing webhook body (the DeployEvent)",
      ...scoped(requires, "read"),
      responses: { 200: { description: "JSON Schema, draft 2020-12" }, 401: E401 },
    }),
    (c) => c.json(deployEventJsonSchema(), 200, { "content-type": "application/schema+json" }),
  );

  const document = openApiDocument(app, version);
  app.openapi(
    createRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApi",
      tags: ["documents"],
      summary: "This API as an OpenAPI 3.1 document",
      ...scoped(requires, "read"),
      responses: { 200: { description: "OpenAPI 3.1" }, 401: E401 },
    }),
    (c) => c.json(document(), 200),
  );
}
