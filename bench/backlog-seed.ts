/**
 * Seeds a delivery backlog straight into a fresh store's own tables (Kysely over the store's
 * schema), far faster than a million events through HTTP would: processed `events` rows carrying
 * a real normalized Netlify event, and `pending` deliveries for them, due now or later.
 *
 * Payload rows are left out: Shipcast never reads an event's payload once it is processed (the
 * retention prune removes them the same way), and they would only make the seed slower.
 */
import type { Insertable } from "kysely";
import { isIgnored } from "../src/events/deploy-event.js";
import { normalizeNetlify } from "../src/sources/netlify-normalize.js";
import { eventOrder } from "../src/store/deliveries-repository.js";
import { newId } from "../src/store/ids.js";
import type { DeliveriesTable, EventsTable } from "../src/store/schema.js";
import { netlifyFixture, netlifyPayload } from "./events.js";
import type { Store } from "./store.js";

export interface SeedOptions {
  /** Deliveries to write. */
  deliveries: number;
  /** Each event gets one delivery per target, in turn: `deliveries / targets.length` events. */
  targets: string[];
  /** Ordering subjects the events cycle through (per target). */
  subjects: number;
  /** Prefix of the subjects, to keep two seeds' queues apart. */
  subjectPrefix: string;
  /** When the deliveries are due (epoch ms): later than now for a retry backlog. */
  dueAt: number;
  /** The first event's time (epoch ms); each next event is 1 ms later. Sets the event order. */
  occurredFrom: number;
  /** Attempts already made (a retry backlog has at least one). */
  attempts: number;
  /** Keeps the dedupe keys of two seeds on one store apart. */
  run: number;
}

/** Rows a statement carries: well under both engines' bound parameter limits. */
const ROWS_PER_STATEMENT = 1000;
/** Rows a transaction commits. */
const ROWS_PER_TRANSACTION = 20_000;

/** A real normalized event (the fixture through Shipcast's own normalizer), at `occurredAt`. */
function normalizedEvent(occurredAt: string): string {
  const result = normalizeNetlify({ headers: {}, payload: netlifyPayload(netlifyFixture(), 0, 1) });
  if (isIgnored(result)) throw new Error(`the seed event is ignored: ${result.reason}`);
  return JSON.stringify({ ...result, occurredAt });
}

/** Writes the backlog; resolves with the delivery ids, in event order. */
export async function seedBacklog(store: Store, options: SeedOptions): Promise<string[]> {
  const now = new Date().toISOString();
  const dueAt = new Date(options.dueAt).toISOString();
  const perEvent = options.targets.length;
  const eventCount = Math.ceil(options.deliveries / perEvent);
  // One normalized body for all: only the occurrence time orders them, and it is in event_order.
  const normalized = normalizedEvent(new Date(options.occurredFrom).toISOString());
  const ids: string[] = [];
  // Only a queue's head carries `ready_at` (store/delivery-queues.ts): claims read nothing else.
  const queuesWithHead = new Set<string>();
  let events: Insertable<EventsTable>[] = [];
  let deliveries: Insertable<DeliveriesTable>[] = [];

  const flush = async () => {
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
        await trx
          .insertInto("events")
          .values(events.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
      }
      for (let i = 0; i < deliveries.length; i += ROWS_PER_STATEMENT) {
        await trx
          .insertInto("deliveries")
          .values(deliveries.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
      }
    });
    events = [];
    deliveries = [];
  };

  for (let e = 0; e < eventCount; e++) {
    const eventId = newId("evt");
    const occurredAt = new Date(options.occurredFrom + e).toISOString();
    events.push({
      id: eventId,
      source: "netlify",
      dedupe_key: `bench-seed-${options.run}-${e}`,
      event_name: "deploy_created",
      received_at: now,
      status: "processed",
      reason: null,
      normalized,
      processed_at: now,
    });
    const subject = `${options.subjectPrefix}|${e % options.subjects}`;
    for (const target of options.targets) {
      if (ids.length >= options.deliveries) break;
      const id = newId("dlv");
      ids.push(id);
      const queue = `${target}\u001f${subject}`;
      const head = !queuesWithHead.has(queue);
      queuesWithHead.add(queue);
      deliveries.push({
        id,
        event_id: eventId,
        target,
        kind: "webhook",
        subject,
        event_order: eventOrder(occurredAt, eventId),
        status: "pending",
        attempts: options.attempts,
        next_attempt_at: dueAt,
        lease_until: null,
        ready_at: head ? dueAt : null,
        last_error: options.attempts > 0 ? "seeded: waiting for its next attempt" : null,
        created_at: now,
        updated_at: now,
        completed_at: null,
      });
    }
    if (deliveries.length >= ROWS_PER_TRANSACTION) await flush();
  }
  await flush();
  return ids;
}
