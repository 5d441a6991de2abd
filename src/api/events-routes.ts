/** `/api/v1/events`: the events received, and one with its payload, headers and deliveries. */
import { createRoute } from "@hono/zod-openapi";
import type { z } from "zod";
import type { DeployEvent } from "../events/deploy-event.js";
import type { Store } from "../store/database.js";
import { listDeliveries } from "../store/deliveries-repository.js";
import { type EventRow, getEvent, listEvents } from "../store/events-repository.js";
import type { ApiApp } from "./api-env.js";
import { eventDetailSchema, eventSummarySchema, eventsQuerySchema, listOf } from "./api-schemas.js";
import { deliverySummary } from "./deliveries-routes.js";
import { jsonTextAnswer, objectJson, storedJson } from "./raw-json.js";
import { E401, E404, idParam, jsonAnswer, type Requires, scoped } from "./route-docs.js";

export interface EventsRoutesOptions {
  store: Store;
  requires: Requires;
}

/** Registers the events routes on `app`. */
export function eventsRoutes(app: ApiApp, options: EventsRoutesOptions): void {
  const { store, requires } = options;

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
      const page = await listEvents(
        store.db,
        { source, sourceId, status },
        { limit, after: cursor },
      );
      return c.json({ ...page, items: page.items.map(eventSummary) }, 200);
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
      const row = await getEvent(store.db, id);
      if (!row) return c.json({ error: `no event ${id}` }, 404);
      const deliveries = await listDeliveries(store.db, { eventId: row.id }, { limit: 200 });
      // The stored JSON goes out as it was stored: a payload may nest too deep to re-serialize.
      return jsonTextAnswer<z.output<typeof eventDetailSchema>>(
        objectJson({
          ...eventSummary(row),
          // Null once DELIVERY_LOG_RETENTION pruned the payload.
          headers: storedJson(row.headers),
          payload: storedJson(row.body),
          event: storedJson(row.normalized),
          deliveries: deliveries.items.map(deliverySummary),
        }),
      );
    },
  );
}

/** The fields of an event shown in lists. */
function eventSummary(row: EventRow) {
  const event: DeployEvent | undefined = row.normalized ? JSON.parse(row.normalized) : undefined;
  return {
    id: row.id,
    source: row.source,
    source_id: row.source_id,
    source_event: row.event_name,
    status: row.status,
    reason: row.reason,
    kind: event?.kind ?? null,
    project: event?.project.name ?? null,
    environment: event?.environment.name ?? null,
    received_at: row.received_at,
    processed_at: row.processed_at,
  };
}
