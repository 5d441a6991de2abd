import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { DeployEvent } from "../events/deploy-event.js";
import { sendError, sendJson } from "../server/respond.js";
import type { Store } from "../store/database.js";
import { listDeliveries } from "../store/deliveries-repository.js";
import { type EventRow, getEvent, listEvents } from "../store/events-repository.js";
import { deliverySummary } from "./deliveries-api.js";
import { parseListQuery } from "./query.js";

export const eventsListQuery = z.object({
  source: z.enum(["github", "gitlab", "netlify", "shipcast"]).optional(),
  status: z.enum(["pending", "processed", "ignored", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/** `GET /api/v1/events`: newest first, filtered by `source` and `status`, paginated. */
export async function handleListEvents(store: Store, url: URL, res: ServerResponse): Promise<void> {
  const query = parseListQuery(eventsListQuery, url, res);
  if (!query) return;
  const { source, status, limit, after } = query;
  const page = await listEvents(store.db, { source, status }, { limit, after });
  sendJson(res, 200, { ...page, items: page.items.map(eventSummary) });
}

/**
 * `GET /api/v1/events/:id`: one event with its redacted headers, payload, normalized event and
 * its deliveries.
 */
export async function handleGetEvent(
  store: Store,
  id: string,
  _req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const row = await getEvent(store.db, id);
  if (!row) {
    sendError(res, 404, `no event ${id}`);
    return;
  }
  sendJson(res, 200, {
    ...eventSummary(row),
    // Null once DELIVERY_LOG_RETENTION pruned the payload.
    headers: row.headers === null ? null : (JSON.parse(row.headers) as Record<string, string>),
    payload: row.body === null ? null : (JSON.parse(row.body) as unknown),
    event: row.normalized ? (JSON.parse(row.normalized) as DeployEvent) : null,
    deliveries: (await listDeliveries(store.db, { eventId: row.id }, { limit: 200 })).items.map(
      deliverySummary,
    ),
  });
}

/** The fields of an event shown in lists. */
function eventSummary(row: EventRow) {
  const event = row.normalized ? (JSON.parse(row.normalized) as DeployEvent) : undefined;
  return {
    id: row.id,
    source: row.source,
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
