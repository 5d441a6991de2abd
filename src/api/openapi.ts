/**
 * The OpenAPI 3.1 document of the management API, generated from the route table: the same zod
 * schemas that validate requests describe them here (JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is), so the document cannot drift from the API.
 */
import { z } from "zod";
import type { ApiRoute } from "./router.js";

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema: requests as accepted (`input`), answers as sent (`output`). */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
}

function parameters(route: ApiRoute): JsonSchema[] {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const query: JsonSchema[] = [];
  if (route.query) {
    const shape = route.query.shape as Record<string, z.ZodType>;
    for (const [name, schema] of Object.entries(shape)) {
      const described = jsonSchema(schema, "input");
      const { description, ...rest } = described;
      query.push({
        name,
        in: "query",
        required: !schema.safeParse(undefined).success,
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      });
    }
  }
  return [...path, ...query];
}

/** Builds the document for `routes`. */
export function buildOpenApiDocument(routes: ApiRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const body = route.documentedBody ?? route.body;
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      "x-shipcast-scope": route.scope,
      parameters: parameters(route),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema
              ? {
                  content: {
                    "application/json": { schema: jsonSchema(response.schema, "output") },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
    if (body) {
      operation.requestBody = {
        required: !route.bodyOptional,
        content: { "application/json": { schema: jsonSchema(body, "input") } },
      };
    }
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Shipcast management API",
      version,
      description:
        "Notifications (webhook, Slack, email), their deliveries and attempts, events, and API tokens. Every route but the documents needs `Authorization: Bearer <token>`: SHIPCAST_ADMIN_TOKEN, or an API token of scope read (GET) or write.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    tags: [
      { name: "notifications" },
      { name: "deliveries" },
      { name: "events" },
      { name: "tokens" },
      { name: "documents" },
    ],
    paths,
  };
}
