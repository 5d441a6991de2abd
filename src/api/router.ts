/**
 * The management API's router. Every route is one `ApiRoute` object: method, path, scope, the zod
 * schemas of its query, body and answers, and its handler. The router validates with those
 * schemas and the OpenAPI document is generated from them, so the two cannot drift apart.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Logger } from "../logging/logger.js";
import { PayloadTooLargeError, RequestAbortedError, readBody } from "../server/read-body.js";
import { sendError, sendJson } from "../server/respond.js";
import type { Store } from "../store/database.js";
import { allows, authenticate, type Principal, type Scope } from "./auth.js";
import type { RateLimiter } from "./rate-limit.js";

/** Largest API request body: notifications are small. */
const MAX_API_BODY_BYTES = 1024 * 1024;

/** One documented answer of a route. */
export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
}

/** What a handler gets. */
export interface ApiRequest<Q = Record<string, unknown>, B = unknown> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  query: Q;
  body: B;
  principal: Principal;
}

export interface ApiRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI-style path: `/api/v1/notifications/{id}`. */
  path: string;
  /** The token scope the route needs. */
  scope: Scope;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Validates the query string (an object schema; values arrive as strings). */
  query?: z.ZodObject;
  /** Validates the JSON body. */
  body?: z.ZodType;
  /**
   * The body as documented, when the route validates it in two steps (PATCH: first an object,
   * then the schema of the notification's kind). Default: `body`.
   */
  documentedBody?: z.ZodType;
  /** Whether a body may be left out (validated as `{}` then). */
  bodyOptional?: boolean;
  /** Counted against the per-caller limit on on-demand outgoing requests. */
  rateLimited?: boolean;
  responses: Record<number, ApiResponse>;
  handler(request: ApiRequest<never, never>): Promise<void>;
}

/** A problem by field, as every 422 lists them. */
export interface Problem {
  field: string;
  message: string;
}

/** Answers 422 with every problem. */
export function sendProblems(res: ServerResponse, problems: Problem[]): void {
  sendJson(res, 422, { error: "validation failed", problems });
}

/** zod issues as problems by field. */
export function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    // A union reports each branch; its most relevant branch's issues say more than "invalid".
    const nested = (issue as { errors?: z.core.$ZodIssue[][] }).errors;
    if (issue.code === "invalid_union" && nested && nested.length > 0) {
      const best = nested.reduce((a, b) => (b.length < a.length ? b : a));
      return best.map((inner) => ({
        field: [...issue.path, ...inner.path].map(String).join(".") || "(body)",
        message: inner.message,
      }));
    }
    return [{ field: issue.path.map(String).join(".") || "(body)", message: issue.message }];
  });
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  names: string[];
}

export interface RouterOptions {
  routes: ApiRoute[];
  store: Store;
  adminToken: string | undefined;
  limiter: RateLimiter;
  log: Logger;
}

/** Builds the request handler for everything under `/api/v1`. */
export function createApiRouter(options: RouterOptions) {
  const compiled: CompiledRoute[] = options.routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split("/")
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (!param?.[1]) return segment.replace(/[.]/g, "\\.");
        names.push(param[1]);
        return "([^/]+)";
      })
      .join("/");
    return { route, pattern: new RegExp(`^${source}$`), names };
  });

  return async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    const candidates = compiled.flatMap((c) => {
      const match = c.pattern.exec(path);
      return match ? [{ ...c, match }] : [];
    });
    if (candidates.length === 0) {
      sendError(res, 404, `no route for ${req.method} ${path}`);
      return;
    }
    const found = candidates.find((c) => c.route.method === req.method);
    if (!found) {
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(", ");
      sendError(res, 405, `${req.method} is not supported on ${path}`, { allow });
      return;
    }
    const { route, names, match } = found;

    const auth = await authenticate(req, options.adminToken, options.store);
    if (!auth.ok) {
      sendError(res, auth.status, auth.message, auth.headers);
      return;
    }
    const { principal } = auth;
    if (!allows(principal, route.scope)) {
      sendError(
        res,
        403,
        route.scope === "admin"
          ? "only SHIPCAST_ADMIN_TOKEN may manage API tokens"
          : `this token's scope is "read"; ${req.method} ${path} needs "write"`,
      );
      return;
    }

    const params: Record<string, string> = {};
    for (const [index, name] of names.entries()) {
      try {
        params[name] = decodeURIComponent(match[index + 1] ?? "");
      } catch {
        sendError(res, 400, "malformed percent-encoding in the path");
        return;
      }
    }

    let query: unknown = {};
    if (route.query) {
      const parsed = route.query.safeParse(Object.fromEntries(url.searchParams));
      if (!parsed.success) {
        const problems = problemsOf(parsed.error);
        sendError(
          res,
          400,
          `invalid query: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
        );
        return;
      }
      query = parsed.data;
    }

    let body: unknown;
    if (route.body) {
      let raw: Buffer;
      try {
        raw = await readBody(req, MAX_API_BODY_BYTES);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) {
          sendError(res, 413, `request body larger than ${MAX_API_BODY_BYTES} bytes`);
        } else if (!(error instanceof RequestAbortedError)) {
          throw error;
        }
        return;
      }
      let json: unknown;
      const text = raw.toString("utf8").trim();
      if (text === "" && route.bodyOptional) {
        json = {};
      } else {
        try {
          json = JSON.parse(text);
        } catch {
          sendError(res, 400, "the request body is not valid JSON");
          return;
        }
      }
      const parsed = route.body.safeParse(json);
      if (!parsed.success) {
        sendProblems(res, problemsOf(parsed.error));
        return;
      }
      body = parsed.data;
    }

    if (route.rateLimited) {
      const taken = options.limiter.take(principal.key);
      if (!taken.ok) {
        sendError(
          res,
          429,
          `too many test and resend requests: at most 5 a minute per token; retry in ${taken.retryAfterSeconds} s`,
          { "retry-after": String(taken.retryAfterSeconds) },
        );
        return;
      }
    }

    await route.handler({
      req,
      res,
      url,
      params,
      query: query as never,
      body: body as never,
      principal,
    });
  };
}
