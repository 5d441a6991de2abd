/**
 * Re-encryption of every stored secret under a new key (`shipcast rotate-key`): the way out of a
 * lost or leaked `SHIPCAST_ENCRYPTION_KEY`. All or nothing: every envelope is opened with the old
 * key before any is written, in one transaction, so a wrong key or a damaged row leaves the store
 * as it was.
 */
import { lockBuildHookSecrets, writeBuildHookSecrets } from "./build-hooks-repository.js";
import type { Store } from "./database.js";
import { envelopeKeyId, type SecretBox, SecretBoxError } from "./secret-box.js";

/** A stored secret that the old key cannot open: nothing was changed. */
export class SecretRotationError extends Error {
  override name = "SecretRotationError";
  constructor(
    readonly notificationId: string,
    reason: string,
    /** What the row is, for the message. */
    what = "notification",
  ) {
    super(`${what} ${notificationId}: ${reason}`);
  }
}

export interface RotationResult {
  /** Rows whose secrets were re-encrypted under the new key (notifications and build hooks). */
  rotated: number;
}

/**
 * Opens every notification's secrets with `from` and seals them again with `to`, in one
 * transaction (PostgreSQL: the rows are locked until it commits). Throws `SecretRotationError`
 * naming the first row `from` cannot open; then nothing is written.
 */
export async function rotateSecrets(
  store: Pick<Store, "db" | "engine">,
  from: SecretBox,
  to: SecretBox,
): Promise<RotationResult> {
  return store.db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom("notifications")
      .select(["id", "secrets"])
      .where("secrets", "is not", null)
      .orderBy("id");
    if (store.engine === "postgres") query = query.forUpdate();
    const rows = await query.execute();

    const reseal = (row: { id: string; secrets: string | null }, what?: string) => {
      const envelope = row.secrets as string;
      try {
        return { id: row.id, secrets: to.seal(from.open(envelope)) };
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        const keyId = envelopeKeyId(envelope);
        const hint =
          keyId === to.keyId ? " (it is under the new key already: was it rotated before?)" : "";
        throw new SecretRotationError(row.id, `${error.message}${hint}`, what);
      }
    };
    const resealed = rows.map((row) => reseal(row));
    // Build hooks' target secrets (GitLab trigger tokens, URL signing secrets) go along.
    const hooks = (await lockBuildHookSecrets(trx, store.engine)).map((row) =>
      reseal(row, "build hook"),
    );
    for (const row of resealed) {
      await trx
        .updateTable("notifications")
        .set({ secrets: row.secrets })
        .where("id", "=", row.id)
        .execute();
    }
    for (const row of hooks) await writeBuildHookSecrets(trx, row.id, row.secrets);
    return { rotated: resealed.length + hooks.length };
  });
}
