import { afterEach, describe, expect, it } from "vitest";
import {
  getBuildHookRow,
  insertBuildHook,
  recordBuildTrigger,
  updateBuildHookRow,
} from "../../src/store/build-hooks-repository.js";
import { openStore, type Store } from "../../src/store/database.js";
import { newId } from "../../src/store/ids.js";
import { SecretBox } from "../../src/store/secret-box.js";
import { rotateSecrets } from "../../src/store/secret-rotation.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

const HASH = "a".repeat(64);

async function addHook(
  store: Store,
  id: string,
  options: { limit?: number; secrets?: string | null; urlHash?: string } = {},
): Promise<void> {
  const now = new Date().toISOString();
  await insertBuildHook(store.db, {
    id,
    title: "Nightly",
    enabled: 1,
    url_hash: options.urlHash ?? HASH,
    url_hint: "/build_hooks/aaaa…",
    target_type: "url",
    target: JSON.stringify({ type: "url", url: "https://ci.example.com/", secrets_set: [] }),
    secrets: options.secrets ?? null,
    allow_branch_override: 0,
    rate_limit_per_minute: options.limit ?? 10,
    project: null,
    environment_name: null,
    environment_type: null,
    created_at: now,
    updated_at: now,
    url_rotated_at: null,
  });
}

function trigger(hookId: string, now: Date, urlHash = HASH) {
  const eventId = newId("evt");
  return {
    hookId,
    urlHash,
    eventId,
    normalized: JSON.stringify({ kind: "build.requested" }),
    headers: "{}",
    body: "{}",
    order: `${now.toISOString()}|${eventId}`,
    planned: [{ target: hookId, kind: "build-hook", subject: `build-hook|${eventId}` }],
    ref: "main",
    title: null,
    now,
    windowMs: 60_000,
  };
}

describe.each(ENGINES)("build hook triggers in the store on %s", (engine) => {
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

  it("never takes more triggers than the limit, even when they arrive at once", async () => {
    const s = await open();
    await addHook(s, "bhk_racing", { limit: 3 });
    const now = new Date();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => recordBuildTrigger(s, trigger("bhk_racing", now))),
    );
    const accepted = outcomes.filter((o) => o.outcome === "accepted");
    const limited = outcomes.filter((o) => o.outcome === "limited");
    expect(accepted).toHaveLength(3);
    expect(limited).toHaveLength(9);
    const triggers = await s.db.selectFrom("build_hook_triggers").selectAll().execute();
    expect(triggers).toHaveLength(3);
    const deliveries = await s.db.selectFrom("deliveries").select("target").execute();
    expect(deliveries).toEqual([
      { target: "bhk_racing" },
      { target: "bhk_racing" },
      { target: "bhk_racing" },
    ]);
  });

  it("counts only the last minute, and says when the oldest trigger leaves it", async () => {
    const s = await open();
    await addHook(s, "bhk_window", { limit: 1 });
    const start = new Date("2026-11-30T03:00:00.000Z");
    expect((await recordBuildTrigger(s, trigger("bhk_window", start))).outcome).toBe("accepted");
    const later = new Date(start.getTime() + 45_000);
    expect(await recordBuildTrigger(s, trigger("bhk_window", later))).toEqual({
      outcome: "limited",
      limit: 1,
      retryAfterSeconds: 15,
    });
    const next = new Date(start.getTime() + 60_001);
    expect((await recordBuildTrigger(s, trigger("bhk_window", next))).outcome).toBe("accepted");
  });

  it("writes nothing for a hook whose URL changed or that was disabled since it was found", async () => {
    const s = await open();
    await addHook(s, "bhk_moving");
    await updateBuildHookRow(s.db, "bhk_moving", { url_hash: "b".repeat(64) });
    expect(await recordBuildTrigger(s, trigger("bhk_moving", new Date()))).toEqual({
      outcome: "gone",
    });
    await updateBuildHookRow(s.db, "bhk_moving", { enabled: 0 });
    expect(await recordBuildTrigger(s, trigger("bhk_moving", new Date(), "b".repeat(64)))).toEqual({
      outcome: "gone",
    });
    expect(await s.db.selectFrom("events").selectAll().execute()).toEqual([]);
  });

  it("re-seals build hook secrets when the encryption key is rotated", async () => {
    const s = await open();
    const oldBox = new SecretBox(Buffer.alloc(32, 1));
    const newBox = new SecretBox(Buffer.alloc(32, 2));
    await addHook(s, "bhk_sealed", { secrets: oldBox.seal('{"trigger_token":"glptt-x"}') });
    await addHook(s, "bhk_plain", { urlHash: "c".repeat(64) });
    expect(await rotateSecrets(s, oldBox, newBox)).toEqual({
      rotated: 1,
      notifications: 0,
      sources: 0,
      buildHooks: 1,
    });
    const row = await getBuildHookRow(s.db, "bhk_sealed");
    expect(newBox.open(row?.secrets as string)).toBe('{"trigger_token":"glptt-x"}');

    const stranger = new SecretBox(Buffer.alloc(32, 3));
    await updateBuildHookRow(s.db, "bhk_plain", { secrets: stranger.seal("{}") });
    await expect(rotateSecrets(s, newBox, oldBox)).rejects.toThrow(
      /build hook bhk_plain: .*another key/,
    );
    // All or nothing: the hook the key could open was not rewritten either.
    expect((await getBuildHookRow(s.db, "bhk_sealed"))?.secrets).toBe(row?.secrets);
  });
});
