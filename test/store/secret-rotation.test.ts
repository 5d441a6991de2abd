import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { insertNotification } from "../../src/store/notifications-repository.js";
import { SecretBox } from "../../src/store/secret-box.js";
import { rotateSecrets, SecretRotationError } from "../../src/store/secret-rotation.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

const oldBox = new SecretBox(Buffer.alloc(32, 1));
const newBox = new SecretBox(Buffer.alloc(32, 2));

async function addNotification(store: Store, id: string, secrets: string | null): Promise<void> {
  const now = new Date().toISOString();
  await insertNotification(store.db, {
    id,
    kind: "webhook",
    description: "",
    enabled: 1,
    filters: "{}",
    settings: JSON.stringify({ url: "https://example.com/hook" }),
    secrets,
    disabled_until: null,
    disabled_reason: null,
    created_at: now,
    updated_at: now,
  });
}

async function storedSecrets(store: Store): Promise<Record<string, string | null>> {
  const rows = await store.db.selectFrom("notifications").select(["id", "secrets"]).execute();
  return Object.fromEntries(rows.map((row) => [row.id, row.secrets]));
}

describe.each(ENGINES)("rotating the encryption key on %s", (engine) => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.drop();
    store = undefined;
    database = undefined;
  });

  async function open(): Promise<Store> {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    return store;
  }

  it("re-seals every secret under the new key and leaves rows without secrets alone", async () => {
    const s = await open();
    await addNotification(s, "ntf_a", oldBox.seal('{"secret":"alpha"}'));
    await addNotification(s, "ntf_b", oldBox.seal('{"secret":"beta"}'));
    await addNotification(s, "ntf_plain", null);

    expect(await rotateSecrets(s, oldBox, newBox)).toEqual({
      rotated: 2,
      notifications: 2,
      sources: 0,
      buildHooks: 0,
    });

    const after = await storedSecrets(s);
    expect(newBox.open(after.ntf_a as string)).toBe('{"secret":"alpha"}');
    expect(newBox.open(after.ntf_b as string)).toBe('{"secret":"beta"}');
    expect(after.ntf_plain).toBeNull();
    expect(() => oldBox.open(after.ntf_a as string)).toThrow(/another key/);
  });

  it("writes nothing when one secret cannot be opened with the old key, naming its row", async () => {
    const s = await open();
    const stranger = new SecretBox(Buffer.alloc(32, 3));
    // The row the old key can open sorts first: it must not be rewritten either.
    await addNotification(s, "ntf_a", oldBox.seal('{"secret":"alpha"}'));
    await addNotification(s, "ntf_z", stranger.seal('{"secret":"zeta"}'));
    const before = await storedSecrets(s);

    const rotation = rotateSecrets(s, oldBox, newBox);
    await expect(rotation).rejects.toThrow(SecretRotationError);
    await expect(rotation).rejects.toThrow(/notification ntf_z: .*another key/);
    expect(await storedSecrets(s)).toEqual(before);
  });

  it("says so when a secret is under the new key already", async () => {
    const s = await open();
    await addNotification(s, "ntf_a", newBox.seal('{"secret":"alpha"}'));
    await expect(rotateSecrets(s, oldBox, newBox)).rejects.toThrow(/under the new key already/);
  });
});
