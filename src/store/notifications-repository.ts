import type { Insertable, Kysely, Selectable, Transaction, Updateable } from "kysely";
import { newId } from "./ids.js";
import type {
  Database,
  NotificationState,
  NotificationStateChangesTable,
  NotificationsTable,
} from "./schema.js";
import { tableStamp } from "./table-stamp.js";

export type NotificationRow = Selectable<NotificationsTable>;
export type StateChangeRow = Selectable<NotificationStateChangesTable>;

type Db = Kysely<Database> | Transaction<Database>;

export async function insertNotification(
  db: Db,
  row: Insertable<NotificationsTable>,
): Promise<void> {
  await db.insertInto("notifications").values(row).execute();
}

export async function getNotificationRow(db: Db, id: string): Promise<NotificationRow | undefined> {
  return db.selectFrom("notifications").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Every notification, oldest first (there are tens, not thousands). */
export async function listNotificationRows(db: Db): Promise<NotificationRow[]> {
  return db.selectFrom("notifications").selectAll().orderBy("id").execute();
}

/** The table's stamp (see `tableStamp`): tells a reader whether its copy is stale. */
export async function notificationsStamp(db: Db): Promise<string> {
  return tableStamp(db, "notifications");
}

/** Updates a notification; false when it does not exist. */
export async function updateNotificationRow(
  db: Db,
  id: string,
  patch: Updateable<NotificationsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable("notifications")
    .set(patch)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a notification and its history; false when it does not exist. */
export async function deleteNotificationRow(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("notification_state_changes").where("notification_id", "=", id).execute();
    const result = await trx.deleteFrom("notifications").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  });
}

/** Records a change of a notification's state in its history. */
export async function insertStateChange(
  db: Db,
  change: {
    notificationId: string;
    at: string;
    state: NotificationState;
    reason: string;
    consecutiveFailures: number;
    disabledUntil: string | null;
    actor: "deliveries" | "api";
  },
): Promise<StateChangeRow> {
  const row = {
    id: newId("nsc"),
    notification_id: change.notificationId,
    at: change.at,
    state: change.state,
    reason: change.reason,
    consecutive_failures: change.consecutiveFailures,
    disabled_until: change.disabledUntil,
    actor: change.actor,
  };
  await db.insertInto("notification_state_changes").values(row).execute();
  return row;
}

/** A notification's recent changes of state, newest first. */
export async function listStateChanges(
  db: Db,
  notificationId: string,
  limit = 20,
): Promise<StateChangeRow[]> {
  return db
    .selectFrom("notification_state_changes")
    .selectAll()
    .where("notification_id", "=", notificationId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}
