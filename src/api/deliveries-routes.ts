/** `/api/v1/deliveries`: the delivery log, one delivery with its attempts, and resending one. */
import { createRoute } from "@hono/zod-openapi";
import type { Services } from "../services/services.js";
import type { ApiApp } from "./api-env.js";
import {
  deliveriesQuerySchema,
  deliveryDetailSchema,
  deliverySummarySchema,
  errorSchema,
  listOf,
  manualAttemptSchema,
} from "./api-schemas.js";
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
  services: Services;
  requires: Requires;
}

/** Registers the deliveries routes on `app`. */
export function deliveriesRoutes(app: ApiApp, options: DeliveriesRoutesOptions): void {
  const { services, requires } = options;
  const { deliveries } = services;

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
      const page = await deliveries.list(
        { eventId: event, target, status },
        { limit, after: cursor },
      );
      return c.json(page, 200);
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
      const detail = await deliveries.detail(id);
      if (!detail) return c.json({ error: `no delivery ${id}` }, 404);
      return c.json(detail, 200);
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
      const { id } = c.req.valid("param");
      return c.json(await deliveries.resend(id, c.var.principal.key), 200);
    },
  );
}
