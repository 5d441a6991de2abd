import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import type { ApiTokensTable, Database, TokenScope } from "./schema.js";

export type ApiTokenRow = Selectable<ApiTokensTable>;

/** Prefix of every API token, so a leaked one is recognisable (and scannable) as Shipcast's. */
export const TOKEN_PREFIX = "shc_";

/** Hex SHA-256 of a token: what is stored and looked up. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Creates a token with 256 random bits. The token itself is returned once and never stored: a
 * database dump gives no usable token.
 */
export async function createApiToken(
  db: Kysely<Database>,
  input: { name: string; scope: TokenScope },
): Promise<{ row: ApiTokenRow; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row: ApiTokenRow = {
    id: newId("tok"),
    name: input.name,
    scope: input.scope,
    token_hash: hashToken(token),
    token_hint: `${token.slice(0, TOKEN_PREFIX.length + 4)}…`,
    created_at: new Date().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await db.insertInto("api_tokens").values(row).execute();
  return { row, token };
}

/** The live (not revoked) token with this hash. */
export async function findLiveToken(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<ApiTokenRow | undefined> {
  return db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
}

/** Notes a use, at most once a minute per token (the API is not the hot path, but no need). */
export async function touchToken(db: Kysely<Database>, row: ApiTokenRow, now: Date): Promise<void> {
  if (row.last_used_at !== null && now.getTime() - Date.parse(row.last_used_at) < 60_000) return;
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: now.toISOString() })
    .where("id", "=", row.id)
    .execute();
}

export async function listApiTokens(db: Kysely<Database>): Promise<ApiTokenRow[]> {
  return db.selectFrom("api_tokens").selectAll().orderBy("id", "desc").execute();
}

/** Revokes a token; false when there is no live token with this id. */
export async function revokeApiToken(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .updateTable("api_tokens")
    .set({ revoked_at: new Date().toISOString() })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
