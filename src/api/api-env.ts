import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BlankSchema } from "hono/types";
import type { Principal } from "./auth.js";

/** Where the management API is mounted. */
export const API_BASE = "/api/v1";

/** What the API's middleware hands its handlers: who is calling, once authenticated. */
export interface ApiEnv {
  Variables: { principal: Principal };
}

/** The management API: a Hono app whose routes live under {@link API_BASE}. */
export type ApiApp = OpenAPIHono<ApiEnv, BlankSchema, typeof API_BASE>;
