import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { DeployEvent } from "../events/deploy-event.js";
import { sendError, sendJson } from "../server/respond.js";
import type { Store } from "../store/database.js";
import { decodeCursor, type EventRow, getEvent, listEvents } from "../store/events-repository.js";

const listQuery = z.object({
  source: z.enum(["github", "gitlab", "netlify"]).optional(),
  status: z.enum(["pending", "processed", "ignored", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/** `GET /api/v1/events`: newest first, filtered by `source` and `status`, paginated. */
export async function handleListEvents(store: Store, url: URL, res: ServerResponse): Promise<void> {
  const parsed = listQuery.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    sendError(res, 400, `invalid query: ${problems.join("; ")}`);
    return;
  }
  const { source, status, limit, cursor } = parsed.data;
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && after === undefined) {
    sendError(res, 400, "invalid query: cursor: not a cursor this API returned");
    return;
  }
  const page = await listEvents(store.db, { source, status }, { limit, after });
  sendJson(res, 200, { ...page, items: page.items.map(eventSummary) });
}

/** `GET /api/v1/events/:id`: one event with its redacted headers, payload and normalized event. */
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
    headers: JSON.parse(row.headers) as Record<string, string>,
    payload: JSON.parse(row.body) as unknown,
    event: row.normalized ? (JSON.parse(row.normalized) as DeployEvent) : null,
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
