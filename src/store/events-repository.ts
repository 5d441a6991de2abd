import type { Kysely, Selectable, Transaction } from "kysely";
import type { Engine } from "./database.js";
import { EVENT_KIND_SQL, EVENT_PROJECT_SQL, eventField } from "./event-fields.js";
import { newId } from "./ids.js";
import { fromTemplate } from "./query-templates.js";
import type { Database, EventStatus, EventsTable } from "./schema.js";
import { countEventStatuses } from "./status-counts.js";

export type EventRow = Selectable<EventsTable>;

/** An event with what it arrived with. */
export interface EventWithPayload extends EventRow {
  headers: string;
  body: string;
}

/** An event as the API shows it: the payload is gone once the retention pruned it. */
export interface EventWithOptionalPayload extends EventRow {
  headers: string | null;
  body: string | null;
}

export interface EventFilter {
  source?: string;
  /** The source that received it (`src_…`, `env_github`). */
  sourceId?: string;
  status?: EventStatus;
  /** The normalized event's kind (index `events_kind_id`). */
  kind?: string;
  /** The normalized event's project name, exactly (index `events_project_id`). */
  project?: string;
}

/** One page of a list, in the shape every list of the API answers. */
export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}

/** Opaque cursor: the last id of the page, base64url so clients treat it as a token. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  return /^[a-z]+_[0-9A-Z]{26}$/.test(id) ? id : undefined;
}

/** Events newest first, filtered, one page after the cursor. */
export async function listEvents(
  db: Kysely<Database>,
  filter: EventFilter,
  page: { limit: number; after?: string },
): Promise<Page<EventRow>> {
  const query = filteredEvents(db, filter);
  const after = page.after;
  return paginate(
    query.select((eb) => eb.fn.countAll<number | string>().as("total")).executeTakeFirstOrThrow(),
    (limit) =>
      (after ? query.where("id", "<", after) : query)
        .selectAll()
        .orderBy("id", "desc")
        .limit(limit)
        .execute(),
    page.limit,
  );
}

function filteredEvents(db: Kysely<Database>, filter: EventFilter) {
  let query = db.selectFrom("events");
  if (filter.source) query = query.where("source", "=", filter.source);
  if (filter.sourceId) query = query.where("source_id", "=", filter.sourceId);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.kind) query = query.where(eventField(db, EVENT_KIND_SQL), "=", filter.kind);
  if (filter.project) query = query.where(eventField(db, EVENT_PROJECT_SQL), "=", filter.project);
  return query;
}

/** Events newer than `after` (an event id), filtered, newest first: what a live list adds. */
export async function listNewerEvents(
  db: Kysely<Database>,
  filter: EventFilter,
  after: string,
  limit: number,
): Promise<EventRow[]> {
  return filteredEvents(db, filter)
    .where("id", ">", after)
    .selectAll()
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/**
 * One page of a list ordered by id, newest first: `rows(limit)` fetches one row more than the
 * page so that `next` is only offered when there is more to see.
 */
export async function paginate<T extends { id: string }>(
  total: Promise<{ total: number | string }>,
  rows: (limit: number) => Promise<T[]>,
  limit: number,
): Promise<Page<T>> {
  const [counted, fetched] = await Promise.all([total, rows(limit + 1)]);
  const items = fetched.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    total: Number(counted.total),
    next: fetched.length > limit && last ? encodeCursor(last.id) : null,
  };
}

export async function getEvent(
  db: Kysely<Database>,
  id: string,
): Promise<EventWithOptionalPayload | undefined> {
  return db
    .selectFrom("events")
    .leftJoin("event_payloads", "event_payloads.event_id", "events.id")
    .selectAll("events")
    .select(["event_payloads.headers", "event_payloads.body"])
    .where("events.id", "=", id)
    .executeTakeFirst();
}

/** Number of events in each status (health and benchmarks). */
export async function countEventsByStatus(
  db: Kysely<Database>,
): Promise<Record<EventStatus, number>> {
  return countEventStatuses(db);
}

/**
 * Writes an event Shipcast makes itself (source `shipcast`: health alerts, test deliveries),
 * already processed, inside the caller's transaction. Its payload is the event itself.
 */
export async function insertSystemEvent(
  trx: Transaction<Database>,
  input: { id?: string; eventName: string; dedupeKey: string; normalized: string; now: string },
): Promise<string> {
  const id = input.id ?? newId("evt");
  await trx
    .insertInto("events")
    .values({
      id,
      source: "shipcast",
      dedupe_key: input.dedupeKey,
      event_name: input.eventName,
      received_at: input.now,
      status: "processed",
      reason: null,
      normalized: input.normalized,
      processed_at: input.now,
    })
    .execute();
  await trx
    .insertInto("event_payloads")
    .values({ event_id: id, headers: "{}", body: input.normalized })
    .execute();
  return id;
}

/**
 * Claims up to `limit` pending inbox rows with their payloads, oldest first, inside the caller's
 * transaction. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several processes claim disjoint rows;
 * SQLite has one writer, the transaction is lock enough.
 */
export async function claimPendingEvents(
  trx: Transaction<Database>,
  engine: Engine,
  limit: number,
): Promise<EventWithPayload[]> {
  // A template: the event worker runs this before every batch (see query-templates.ts).
  const { rows } = await trx.executeQuery(
    fromTemplate(
      trx,
      "claim-events",
      (slot) => {
        const query = trx
          .selectFrom("events")
          .innerJoin("event_payloads", "event_payloads.event_id", "events.id")
          .selectAll("events")
          .select(["event_payloads.headers", "event_payloads.body"])
          .where("events.status", "=", "pending")
          .orderBy("events.id")
          .limit(slot<number>(0));
        return engine === "postgres" ? query.forUpdate("events").skipLocked() : query;
      },
      [limit],
    ),
  );
  return rows;
}

/** Records what processing decided for one inbox row, counting the attempt. */
export async function markEventProcessed(
  trx: Transaction<Database>,
  id: string,
  result: {
    status: Exclude<EventStatus, "pending">;
    reason: string | null;
    normalized: string | null;
    now: string;
  },
): Promise<void> {
  await trx.executeQuery(
    fromTemplate(
      trx,
      "event-processed",
      (slot) =>
        trx
          .updateTable("events")
          .set((eb) => ({
            status: slot<Exclude<EventStatus, "pending">>(0),
            reason: slot<string | null>(1),
            normalized: slot<string | null>(2),
            processed_at: slot(3),
            attempts: eb("attempts", "+", 1),
          }))
          .where("id", "=", slot(4)),
      [result.status, result.reason, result.normalized, result.now, id],
    ),
  );
}
