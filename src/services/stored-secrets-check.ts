/**
 * The start-up check of the tables whose rows carry sealed secrets (notifications, sources): a
 * process that cannot open them stops with what to do, rather than failing every use later.
 */
import { envelopeKeyId, type SecretBox, SecretBoxError } from "../store/secret-box.js";

/**
 * Throws when rows were sealed but no key is set, or when a row was sealed with another key than
 * `box`'s (rows without secrets, `null`, are not counted). `noun` names a row in the messages (`notification`); `newKey` is how the first message
 * speaks of a freshly made key (`a new key`, or with how one is made).
 *
 * @throws SecretBoxError saying which key is needed.
 */
export function assertStoredSecretsOpen(
  rows: ReadonlyArray<{ id: string; secrets: string | null }>,
  box: SecretBox | undefined,
  noun: string,
  newKey = "a new key",
): void {
  const sealed = rows.flatMap(({ id, secrets }) => (secrets === null ? [] : [{ id, secrets }]));
  if (sealed.length > 0 && box === undefined) {
    throw new SecretBoxError(
      `${sealed.length} stored ${noun}(s) have encrypted secrets: set SHIPCAST_ENCRYPTION_KEY to the key they were stored with (${newKey} cannot open them; delete those ${noun}s to start over)`,
    );
  }
  for (const row of sealed) {
    const keyId = envelopeKeyId(row.secrets);
    if (box !== undefined && keyId !== box.keyId) {
      throw new SecretBoxError(
        `${noun} ${row.id} was stored with another SHIPCAST_ENCRYPTION_KEY (key id ${keyId}; this key is ${box.keyId}): start with the key it was stored with`,
      );
    }
  }
}
