/** The events received: lists filtered and paged on the store's indexes, and one event whole. */
import type { DeployEvent } from "../../events/deploy-event.js";
import type { Store } from "../../store/database.js";
import { listDeliveries } from "../../store/deliveries-repository.js";
import {
  type EventFilter,
  type EventRow,
  getEvent,
  listEvents,
  listNewerEvents,
} from "../../store/events-repository.js";
import type { EventStatus } from "../../store/schema.js";
import { type DeliverySummary, deliverySummary } from "../deliveries/delivery-views.js";
import type { Page, PageRequest } from "../paging.js";

export type { EventFilter };

/** The fields of an event shown in lists. */
export interface EventSummary {
  id: string;
  source: string;
  /** The source that received it (`env_github`, or an API source's id); null before sources. */
  source_id: string | null;
  source_event: string | null;
  status: EventStatus;
  reason: string | null;
  kind: string | null;
  project: string | null;
  environment: string | null;
  received_at: string;
  processed_at: string | null;
}

/**
 * An event whole. The stored JSON texts are handed on as they are: a payload may nest deeper
 * than a recursive `JSON.stringify` can go, so each caller decides how to show it.
 */
export interface EventDetail {
  summary: EventSummary;
  /** JSON object of the request headers (secrets redacted); null once pruned. */
  headers: string | null;
  /** The payload as received; null once DELIVERY_LOG_RETENTION pruned it. */
  payload: string | null;
  /** The normalized `DeployEvent`; null when the event was not normalized. */
  normalized: string | null;
  deliveries: DeliverySummary[];
}

/** At most this many deliveries are listed with an event. */
const EVENT_DELIVERIES_LIMIT = 200;

/** Events for the API and the dashboard: filtered pages, the live list, one event whole. */
export class EventsService {
  constructor(private readonly store: Store) {}

  /** Events newest first, filtered by source, status, kind and project, one page. */
  async list(filter: EventFilter, page: PageRequest): Promise<Page<EventSummary>> {
    const found = await listEvents(this.store.db, filter, page);
    return { ...found, items: found.items.map(eventSummary) };
  }

  /** Events newer than the event `after`, filtered, newest first (what a live list adds). */
  async newer(filter: EventFilter, after: string, limit = 50): Promise<EventSummary[]> {
    return (await listNewerEvents(this.store.db, filter, after, limit)).map(eventSummary);
  }

  /** One event with its payload, headers, normalized event and deliveries. */
  async detail(id: string): Promise<EventDetail | undefined> {
    const row = await getEvent(this.store.db, id);
    if (!row) return undefined;
    const deliveries = await listDeliveries(
      this.store.db,
      { eventId: row.id },
      { limit: EVENT_DELIVERIES_LIMIT },
    );
    const now = Date.now();
    return {
      summary: eventSummary(row),
      headers: row.headers,
      payload: row.body,
      normalized: row.normalized,
      deliveries: deliveries.items.map((delivery) => deliverySummary(delivery, now)),
    };
  }
}

/** The list view of an event row. */
export function eventSummary(row: EventRow): EventSummary {
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
