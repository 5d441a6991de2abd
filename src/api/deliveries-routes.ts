/** `/api/v1/deliveries`: the delivery log, one delivery with its attempts, and resending one. */
import { createRoute } from "@hono/zod-openapi";
import type { ManualAttempt, ManualDelivery } from "../delivery/manual-delivery.js";
import type { RequestFacts } from "../notifiers/kit/notifier.js";
import type { Store } from "../store/database.js";
import {
  type AttemptRow,
  type DeliveryRow,
  getDelivery,
  listDeliveries,
} from "../store/deliveries-repository.js";
import type { ApiApp } from "./api-env.js";
import {
  deliveriesQuerySchema,
  deliveryDetailSchema,
  deliverySummarySchema,
  errorSchema,
  listOf,
  manualAttemptSchema,
} from "./api-schemas.js";
import type { RateLimit } from "./rate-limit.js";
import {
  E401,
  E403,
  E404,
  E429,
  idParam,
  jsonAnswer,
  type Requires,
  scoped,
} from "./route-docs.js";

export interface DeliveriesRoutesOptions {
  store: Store;
  manual: ManualDelivery;
  requires: Requires;
  rateLimit: RateLimit;
}

/** Registers the deliveries routes on `app`. */
export function deliveriesRoutes(app: ApiApp, options: DeliveriesRoutesOptions): void {
  const { store, manual, requires, rateLimit } = options;

  app.openapi(
    createRoute({
      method: "get",
      path: "/deliveries",
      operationId: "listDeliveries",
      tags: ["deliveries"],
      summary: "Deliveries, newest first",
      ...scoped(requires, "read"),
      request: { query: deliveriesQuerySchema },
      responses: { 200: jsonAnswer("One page", listOf(deliverySummarySchema)), 401: E401 },
    }),
    async (c) => {
      const { event, target, status, limit, cursor } = c.req.valid("query");
      const page = await listDeliveries(
        store.db,
        { eventId: event, target, status },
        { limit, after: cursor },
      );
      return c.json({ ...page, items: page.items.map(deliverySummary) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/deliveries/{id}",
      operationId: "getDelivery",
      tags: ["deliveries"],
      summary: "A delivery with every attempt: request (secrets redacted) and response",
      ...scoped(requires, "read"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer("The delivery", deliveryDetailSchema),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const found = await getDelivery(store.db, id);
      if (!found) return c.json({ error: `no delivery ${id}` }, 404);
      return c.json(
        { ...deliverySummary(found.delivery), attempts: found.attempts.map(attemptView) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deliveries/{id}/redeliver",
      operationId: "redeliver",
      tags: ["deliveries"],
      summary: "Send a delivery again now (same delivery id, a new attempt)",
      ...scoped(requires, "write"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer("The attempt", manualAttemptSchema),
        401: E401,
        403: E403,
        404: E404,
        409: jsonAnswer("The delivery is being attempted right now", errorSchema),
        429: E429,
      },
    }),
    async (c) => {
      const refused = rateLimit(c);
      if (refused) return refused;
      return c.json(attemptAnswer(await manual.resend(c.req.valid("param").id)), 200);
    },
  );
}

/** A manual attempt as answered: no request is `null` (never left out). */
export function attemptAnswer(attempt: ManualAttempt) {
  return { ...attempt, request: attempt.request ?? null };
}

/** The fields of a delivery shown in lists. `in_flight` is a pending one under a live lease. */
export function deliverySummary(row: DeliveryRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    target: row.target,
    kind: row.kind,
    status: row.status,
    in_flight:
      row.status === "pending" &&
      row.lease_until !== null &&
      Date.parse(row.lease_until) > Date.now(),
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? row.next_attempt_at : null,
    last_error: row.last_error,
    created_at: row.created_at,
    updated_at: row.updated_at,
    completed_at: row.completed_at,
  };
}

function attemptView(row: AttemptRow) {
  const responseHeaders: Record<string, string> | null =
    row.response_headers === null ? null : JSON.parse(row.response_headers);
  const request: RequestFacts | null = row.request === null ? null : JSON.parse(row.request);
  return {
    attempt: row.attempt,
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    outcome: row.outcome,
    http_status: row.http_status,
    error: row.error,
    response: row.response,
    response_headers: responseHeaders,
    request,
    next_attempt_at: row.next_attempt_at,
  };
}
