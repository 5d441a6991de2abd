/** Dashboard sessions: rows keyed by the SHA-256 of the cookie's secret. */
import type { Kysely, Selectable } from "kysely";
import type { DashboardSessionsTable, Database } from "./schema.js";

export type SessionRow = Selectable<DashboardSessionsTable>;

/** A session as read for a request: its row, and for token sessions the token's live scope. */
export interface LiveSession extends SessionRow {
  /** The scope of the API token signed in with; null for admin sessions. */
  token_scope: "read" | "write" | null;
  /** Whether that token is revoked (or gone); false for admin sessions. */
  token_revoked: boolean;
}

/** Stores a new session. */
export async function insertSession(db: Kysely<Database>, row: SessionRow): Promise<void> {
  await db.insertInto("dashboard_sessions").values(row).execute();
}

/** The session with this id, with its token's current state, in one query. */
export async function findSession(
  db: Kysely<Database>,
  id: string,
): Promise<LiveSession | undefined> {
  const row = await db
    .selectFrom("dashboard_sessions as s")
    .leftJoin("api_tokens as t", "t.id", "s.token_id")
    .selectAll("s")
    .select(["t.scope as token_scope", "t.revoked_at as token_revoked_at", "t.id as joined_token"])
    .where("s.id", "=", id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { token_revoked_at, joined_token, ...session } = row;
  return {
    ...session,
    token_scope: row.token_scope ?? null,
    token_revoked:
      session.principal === "token" && (joined_token === null || token_revoked_at !== null),
  };
}

/** Notes activity on a session. */
export async function touchSession(db: Kysely<Database>, id: string, now: string): Promise<void> {
  await db
    .updateTable("dashboard_sessions")
    .set({ last_seen_at: now })
    .where("id", "=", id)
    .execute();
}

/** Ends one session. */
export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("dashboard_sessions").where("id", "=", id).execute();
}

/** Deletes every session of an API token (it was revoked). */
export async function deleteTokenSessions(db: Kysely<Database>, tokenId: string): Promise<void> {
  await db.deleteFrom("dashboard_sessions").where("token_id", "=", tokenId).execute();
}

/** Deletes sessions past their end or idle since before `idleSince`. */
export async function deleteStaleSessions(
  db: Kysely<Database>,
  now: string,
  idleSince: string,
): Promise<number> {
  const result = await db
    .deleteFrom("dashboard_sessions")
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<", idleSince)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
