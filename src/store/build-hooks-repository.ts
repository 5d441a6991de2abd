/**
 * Build hooks and their triggers: the only SQL of the feature. A hook is found by the SHA-256 of
 * its URL's secret part, in one probe of a unique index, whether or not it exists or is enabled;
 * a trigger is written with its `build.requested` event and that event's deliveries in one
 * transaction, after the hook's rate limit was checked under a lock on the hook's row.
 */
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from "kysely";
import type { Engine, Store } from "./database.js";
import { insertDeliveries } from "./deliveries-repository.js";
import { type Page, paginate } from "./events-repository.js";
import type {
  BuildHooksTable,
  BuildHookTriggersTable,
  Database,
  DeliveryStatus,
} from "./schema.js";

export type BuildHookRow = Selectable<BuildHooksTable>;
export type BuildHookTriggerRow = Selectable<BuildHookTriggersTable>;

type Db = Kysely<Database> | Transaction<Database>;

export async function insertBuildHook(db: Db, row: Insertable<BuildHooksTable>): Promise<void> {
  await db.insertInto("build_hooks").values(row).execute();
}

export async function getBuildHookRow(db: Db, id: string): Promise<BuildHookRow | undefined> {
  return db.selectFrom("build_hooks").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Every build hook, oldest first (there are tens, not thousands). */
export async function listBuildHookRows(db: Db): Promise<BuildHookRow[]> {
  return db.selectFrom("build_hooks").selectAll().orderBy("id").execute();
}

/**
 * The enabled hook whose URL hashes to `urlHash`: one probe of the unique index, the same query
 * for an unknown hash and for a disabled hook's, so both come back empty the same way.
 */
export async function findEnabledBuildHook(
  db: Db,
  urlHash: string,
): Promise<BuildHookRow | undefined> {
  return db
    .selectFrom("build_hooks")
    .selectAll()
    .where("url_hash", "=", urlHash)
    .where("enabled", "=", 1)
    .executeTakeFirst();
}

/** Changes a hook; false when it does not exist. */
export async function updateBuildHookRow(
  db: Db,
  id: string,
  patch: Updateable<BuildHooksTable>,
): Promise<boolean> {
  const result = await db
    .updateTable("build_hooks")
    .set(patch)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Deletes a hook and its list of triggers; false when it does not exist. The triggers' events
 * and deliveries stay: they are the history.
 */
export async function deleteBuildHookRow(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("build_hook_triggers").where("hook_id", "=", id).execute();
    const result = await trx.deleteFrom("build_hooks").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  });
}

/** One trigger to record: its event (already normalized) and the deliveries planned for it. */
export interface NewBuildTrigger {
  hookId: string;
  /** The hash the request presented: the hook must still have it (not rotated since). */
  urlHash: string;
  /** The `build.requested` event's id: the trigger's id too. */
  eventId: string;
  /** The JSON `DeployEvent`. */
  normalized: string;
  /** The request's headers (redacted) and body, kept as the event's payload. */
  headers: string;
  body: string;
  /** `eventOrder(...)` of the event. */
  order: string;
  planned: Array<{ target: string; kind: string; subject: string }>;
  ref: string | null;
  title: string | null;
  now: Date;
  /** The rate limit's window. */
  windowMs: number;
}

/** What became of a trigger: written, refused by the rate limit, or the hook is gone. */
export type BuildTriggerOutcome =
  | { outcome: "accepted"; deliveries: number }
  | { outcome: "limited"; limit: number; retryAfterSeconds: number }
  | { outcome: "gone" };

/**
 * Records a trigger, all or nothing: the hook's row is locked (PostgreSQL: `FOR UPDATE`, so
 * every process counts the same triggers; SQLite's one writer serializes anyway) and must still
 * be enabled under the same URL; the triggers of the last `windowMs` are counted against its
 * `rate_limit_per_minute`; then the event (processed, source `shipcast`), its payload, the
 * trigger and the deliveries are written. A refused trigger writes nothing.
 */
export async function recordBuildTrigger(
  store: Pick<Store, "db" | "engine">,
  input: NewBuildTrigger,
): Promise<BuildTriggerOutcome> {
  return store.db.transaction().execute(async (trx) => {
    const hook = await lockEnabledHook(trx, store.engine, input.hookId, input.urlHash);
    if (!hook) return { outcome: "gone" as const };
    const nowMs = input.now.getTime();
    const since = new Date(nowMs - input.windowMs).toISOString();
    const recent = await trx
      .selectFrom("build_hook_triggers")
      .select((eb) => [
        eb.fn.countAll<number | string>().as("n"),
        eb.fn.min("received_at").as("oldest"),
      ])
      .where("hook_id", "=", input.hookId)
      .where("received_at", ">", since)
      .executeTakeFirst();
    const limit = hook.rate_limit_per_minute;
    if (Number(recent?.n ?? 0) >= limit) {
      const oldest = recent?.oldest ? Date.parse(recent.oldest) : nowMs;
      const wait = Math.ceil((oldest + input.windowMs - nowMs) / 1000);
      return { outcome: "limited" as const, limit, retryAfterSeconds: Math.max(1, wait) };
    }
    const now = input.now.toISOString();
    await trx
      .insertInto("events")
      .values({
        id: input.eventId,
        source: "shipcast",
        dedupe_key: input.eventId,
        event_name: "build_hook",
        received_at: now,
        status: "processed",
        reason: null,
        normalized: input.normalized,
        processed_at: now,
      })
      .execute();
    await trx
      .insertInto("event_payloads")
      .values({ event_id: input.eventId, headers: input.headers, body: input.body })
      .execute();
    await trx
      .insertInto("build_hook_triggers")
      .values({
        id: input.eventId,
        hook_id: input.hookId,
        received_at: now,
        ref: input.ref,
        title: input.title,
      })
      .execute();
    await insertDeliveries(trx, input.eventId, input.order, input.planned, now);
    return { outcome: "accepted" as const, deliveries: input.planned.length };
  });
}

async function lockEnabledHook(
  trx: Transaction<Database>,
  engine: Engine,
  id: string,
  urlHash: string,
): Promise<{ rate_limit_per_minute: number } | undefined> {
  let query = trx
    .selectFrom("build_hooks")
    .select("rate_limit_per_minute")
    .where("id", "=", id)
    .where("url_hash", "=", urlHash)
    .where("enabled", "=", 1);
  if (engine === "postgres") query = query.forUpdate();
  return query.executeTakeFirst();
}

/** A trigger with the delivery that started its build (null until planned, or when none was). */
export interface BuildTriggerWithDelivery extends BuildHookTriggerRow {
  delivery_id: string | null;
  delivery_status: DeliveryStatus | null;
  delivery_attempts: number | null;
  delivery_last_error: string | null;
  delivery_next_attempt_at: string | null;
  delivery_lease_until: string | null;
  delivery_completed_at: string | null;
}

/** A hook's triggers newest first, each with its build delivery, one page after the cursor. */
export async function listBuildHookTriggers(
  db: Kysely<Database>,
  hookId: string,
  page: { limit: number; after?: string },
): Promise<Page<BuildTriggerWithDelivery>> {
  const base = db.selectFrom("build_hook_triggers as t").where("t.hook_id", "=", hookId);
  const after = page.after;
  return paginate(
    base.select((eb) => eb.fn.countAll<number | string>().as("total")).executeTakeFirstOrThrow(),
    (limit) =>
      (after ? base.where("t.id", "<", after) : base)
        .leftJoin("deliveries as d", (join) =>
          join.onRef("d.event_id", "=", "t.id").on("d.target", "=", hookId),
        )
        .selectAll("t")
        .select([
          "d.id as delivery_id",
          "d.status as delivery_status",
          "d.attempts as delivery_attempts",
          "d.last_error as delivery_last_error",
          "d.next_attempt_at as delivery_next_attempt_at",
          "d.lease_until as delivery_lease_until",
          "d.completed_at as delivery_completed_at",
        ])
        .orderBy("t.id", "desc")
        .limit(limit)
        .execute(),
    page.limit,
  );
}
