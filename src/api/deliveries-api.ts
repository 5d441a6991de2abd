import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { RequestFacts } from "../notifiers/kit/notifier.js";
import { sendError, sendJson } from "../server/respond.js";
import type { Store } from "../store/database.js";
import {
  type AttemptRow,
  type DeliveryRow,
  getDelivery,
  listDeliveries,
} from "../store/deliveries-repository.js";
import { parseListQuery } from "./query.js";

export const deliveriesListQuery = z.object({
  event: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  status: z.enum(["pending", "succeeded", "failed", "superseded", "skipped"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/** `GET /api/v1/deliveries`: newest first, filtered by `event`, `target` and `status`. */
export async function handleListDeliveries(
  store: Store,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const query = parseListQuery(deliveriesListQuery, url, res);
  if (!query) return;
  const page = await listDeliveries(
    store.db,
    { eventId: query.event, target: query.target, status: query.status },
    { limit: query.limit, after: query.after },
  );
  sendJson(res, 200, { ...page, items: page.items.map(deliverySummary) });
}

/** `GET /api/v1/deliveries/:id`: one delivery with every attempt. */
export async function handleGetDelivery(
  store: Store,
  id: string,
  res: ServerResponse,
): Promise<void> {
  const found = await getDelivery(store.db, id);
  if (!found) {
    sendError(res, 404, `no delivery ${id}`);
    return;
  }
  sendJson(res, 200, {
    ...deliverySummary(found.delivery),
    attempts: found.attempts.map(attemptView),
  });
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
  return {
    attempt: row.attempt,
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    outcome: row.outcome,
    http_status: row.http_status,
    error: row.error,
    response: row.response,
    response_headers:
      row.response_headers === null
        ? null
        : (JSON.parse(row.response_headers) as Record<string, string>),
    request: row.request === null ? null : (JSON.parse(row.request) as RequestFacts),
    next_attempt_at: row.next_attempt_at,
  };
}
