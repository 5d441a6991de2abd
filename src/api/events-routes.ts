/** `/api/v1/events`: the events received, and one with its payload, headers and deliveries. */
import { createRoute } from "@hono/zod-openapi";
import type { z } from "zod";
import type { EventsService } from "../services/events/events-service.js";
import type { ApiApp } from "./api-env.js";
import { eventDetailSchema, eventSummarySchema, eventsQuerySchema, listOf } from "./api-schemas.js";
import { jsonTextAnswer, objectJson, storedJson } from "./raw-json.js";
import { E401, E404, idParam, jsonAnswer, type Requires, scoped } from "./route-docs.js";

export interface EventsRoutesOptions {
  events: EventsService;
  requires: Requires;
}

/** Registers the events routes on `app`. */
export function eventsRoutes(app: ApiApp, options: EventsRoutesOptions): void {
  const { events, requires } = options;

  app.openapi(
    createRoute({
      method: "get",
      path: "/events",
      operationId: "listEvents",
      tags: ["events"],
      summary: "Received events, newest first",
      ...scoped(requires, "read"),
      request: { query: eventsQuerySchema },
      responses: { 200: jsonAnswer("One page", listOf(eventSummarySchema)), 401: E401 },
    }),
    async (c) => {
      const { source, source_id: sourceId, status, limit, cursor } = c.req.valid("query");
      return c.json(await events.list({ source, sourceId, status }, { limit, after: cursor }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/events/{id}",
      operationId: "getEvent",
      tags: ["events"],
      summary: "An event: headers (redacted), payload, normalized event, deliveries",
      ...scoped(requires, "read"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer("The event", eventDetailSchema),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const detail = await events.detail(id);
      if (!detail) return c.json({ error: `no event ${id}` }, 404);
      // The stored JSON goes out as it was stored: a payload may nest too deep to re-serialize.
      return jsonTextAnswer<z.output<typeof eventDetailSchema>>(
        objectJson({
          ...detail.summary,
          // Null once DELIVERY_LOG_RETENTION pruned the payload.
          headers: storedJson(detail.headers),
          payload: storedJson(detail.payload),
          event: storedJson(detail.normalized),
          deliveries: detail.deliveries,
        }),
      );
    },
  );
}
