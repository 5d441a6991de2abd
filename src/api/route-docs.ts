/**
 * Pieces every route definition shares: JSON content, the documented error answers, the path
 * parameter, and the scope a route needs (its middleware and the `x-shipcast-scope` the
 * OpenAPI document shows).
 */

import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { ApiEnv } from "./api-env.js";
import { errorSchema, problemsSchema } from "./api-schemas.js";
import type { Scope } from "./auth.js";

/** `{content: {"application/json": {schema}}}` with a description: a documented JSON answer. */
export function jsonAnswer<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

/** A JSON request body, validated with `schema`. */
export function jsonRequest<T extends z.ZodType>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}

export const E401 = jsonAnswer("Missing or invalid bearer token", errorSchema);
export const E403 = jsonAnswer("The token's scope does not allow this", errorSchema);
export const E404 = jsonAnswer("Not found", errorSchema);
export const E422 = jsonAnswer("Validation failed: every problem by field", problemsSchema);
export const E429 = jsonAnswer(
  "More than 5 test or resend requests a minute for this token (Retry-After says when)",
  errorSchema,
);

/** The `{id}` of a path. */
export const idParam = z.object({ id: z.string() });

/** The access check of a route needing a scope, as `accessControl` builds it. */
export type Requires = (scope: Scope) => MiddlewareHandler<ApiEnv>;

/**
 * What a route definition says about its scope: shown in the document, checked by the route's
 * first middleware; `more` (such as `jsonBody()`) runs after it.
 */
export function scoped<S extends Scope>(
  requires: Requires,
  scope: S,
  ...more: MiddlewareHandler<ApiEnv>[]
) {
  return { "x-shipcast-scope": scope, middleware: [requires(scope), ...more] };
}
