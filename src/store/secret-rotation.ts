/**
 * Re-encryption of every stored secret under a new key (`shipcast rotate-key`): the way out of a
 * lost or leaked `SHIPCAST_ENCRYPTION_KEY`. All or nothing: every envelope (notifications',
 * sources' and build hooks') is opened with the old key before any is written, in one transaction, so a wrong key
 * or a damaged row leaves the store as it was.
 */
import type { Transaction } from "kysely";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";
import { envelopeKeyId, type SecretBox, SecretBoxError } from "./secret-box.js";

/** A stored secret that the old key cannot open: nothing was changed. */
export class SecretRotationError extends Error {
  override name = "SecretRotationError";
  constructor(
    /** The id of the row (a notification's, a source's or a build hook's). */
    readonly rowId: string,
    reason: string,
    readonly owner: "notification" | "source" | "build hook" = "notification",
  ) {
    super(`${owner} ${rowId}: ${reason}`);
  }
}

export interface RotationResult {
  /** Rows whose secrets were re-encrypted under the new key, of every table. */
  rotated: number;
  notifications: number;
  sources: number;
  /** Build hooks' target secrets (GitLab trigger tokens, URL signing secrets). */
  buildHooks: number;
}

/** The tables whose rows hold an envelope in `secrets`. */
const SEALED_TABLES = [
  { table: "notifications", owner: "notification" },
  { table: "sources", owner: "source" },
  { table: "build_hooks", owner: "build hook" },
] as const;

/**
 * Opens every stored secret with `from` and seals it again with `to`, in one transaction
 * (PostgreSQL: the rows are locked until it commits). Throws `SecretRotationError` naming the
 * first row `from` cannot open; then nothing is written.
 */
export async function rotateSecrets(
  store: Pick<Store, "db" | "engine">,
  from: SecretBox,
  to: SecretBox,
): Promise<RotationResult> {
  return store.db.transaction().execute(async (trx) => {
    const resealed: {
      table: (typeof SEALED_TABLES)[number]["table"];
      id: string;
      secrets: string;
    }[] = [];
    for (const { table, owner } of SEALED_TABLES) {
      for (const row of await sealedRows(trx, store.engine, table)) {
        try {
          resealed.push({ table, id: row.id, secrets: to.seal(from.open(row.secrets)) });
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          const keyId = envelopeKeyId(row.secrets);
          const hint =
            keyId === to.keyId ? " (it is under the new key already: was it rotated before?)" : "";
          throw new SecretRotationError(row.id, `${error.message}${hint}`, owner);
        }
      }
    }
    for (const row of resealed) {
      await trx
        .updateTable(row.table)
        .set({ secrets: row.secrets })
        .where("id", "=", row.id)
        .execute();
    }
    const count = (table: (typeof SEALED_TABLES)[number]["table"]) =>
      resealed.filter((row) => row.table === table).length;
    return {
      rotated: resealed.length,
      notifications: count("notifications"),
      sources: count("sources"),
      buildHooks: count("build_hooks"),
    };
  });
}

/** The rows of `table` that hold secrets, locked on PostgreSQL. */
async function sealedRows(
  trx: Transaction<Database>,
  engine: Store["engine"],
  table: (typeof SEALED_TABLES)[number]["table"],
): Promise<{ id: string; secrets: string }[]> {
  let query = trx
    .selectFrom(table)
    .select(["id", "secrets"])
    .where("secrets", "is not", null)
    .orderBy("id");
  if (engine === "postgres") query = query.forUpdate();
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, secrets: row.secrets as string }));
}
