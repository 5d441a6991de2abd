import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SourceCrud } from "../../../src/services/sources/source-crud.js";
import { SourceDirectory } from "../../../src/services/sources/source-directory.js";
import { SourceInputError } from "../../../src/services/sources/source-errors.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { SecretBox } from "../../../src/store/secret-box.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../helpers/databases.js";

const OLD = "old-secret-0123456789abcdef";
const NEW = "new-secret-0123456789abcdef";
const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-01-10T12:00:00.000Z");

describe.each(ENGINES)("rotating a source's secret on %s", (engine) => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.drop();
    store = undefined;
    database = undefined;
  });

  /** A directory and CRUD over a real store, on one clock the test moves. */
  async function setUp() {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    const clock = { now: T0 };
    const box = new SecretBox(Buffer.alloc(32, 9));
    const directory = new SourceDirectory({
      db: store.db,
      box,
      log: pino({ level: "silent" }),
      now: () => clock.now,
    });
    const crud = new SourceCrud({
      db: store.db,
      box,
      environment: {},
      publicUrl: undefined,
      onChange: () => directory.reload(),
      now: () => clock.now,
    });
    await directory.load();
    const created = await crud.create(
      { kind: "gitlab", name: "group hook", enabled: true, secret: OLD },
      "http://shipcast.test",
    );
    return { clock, directory, crud, id: created.id };
  }

  it("accepts the previous secret until the last millisecond of the 24-hour grace, and not from its end", async () => {
    const { clock, directory, crud, id } = await setUp();
    expect(directory.lookup(id)?.secrets).toEqual([OLD]);

    const rotated = await crud.update(id, { secret: NEW }, "http://shipcast.test");
    const end = T0 + 24 * HOUR;
    expect(rotated?.previous_secret_expires_at).toBe(new Date(end).toISOString());

    clock.now = end - 1;
    expect(directory.lookup(id)?.secrets).toEqual([NEW, OLD]);
    clock.now = end;
    expect(directory.lookup(id)?.secrets).toEqual([NEW]);
    // The view stops showing a grace that is over.
    expect((await crud.view(id, "http://shipcast.test"))?.previous_secret_expires_at).toBeNull();
  });

  it("takes a grace of its own, ends it early, and keeps one rotation at a time", async () => {
    const { clock, directory, crud, id } = await setUp();
    const until = new Date(T0 + 2 * HOUR).toISOString();
    await crud.update(id, { secret: NEW, previous_secret_expires_at: until }, "o");
    clock.now = T0 + 2 * HOUR - 1;
    expect(directory.lookup(id)?.secrets).toEqual([NEW, OLD]);

    // Ended now: the previous secret is refused at once.
    await crud.update(id, { previous_secret_expires_at: null }, "o");
    expect(directory.lookup(id)?.secrets).toEqual([NEW]);

    // A third secret: only the one just replaced stays valid.
    const THIRD = "third-secret-0123456789abcdef";
    await crud.update(id, { secret: THIRD }, "o");
    expect(directory.lookup(id)?.secrets).toEqual([THIRD, NEW]);
  });

  it("refuses a grace beyond 7 days, and a grace change with no rotation under way", async () => {
    const { crud, id } = await setUp();
    const far = new Date(T0 + 7 * 24 * HOUR + 1000).toISOString();
    await expect(
      crud.update(id, { secret: NEW, previous_secret_expires_at: far }, "o"),
    ).rejects.toThrow(SourceInputError);
    await expect(
      crud.update(id, { previous_secret_expires_at: new Date(T0 + HOUR).toISOString() }, "o"),
    ).rejects.toThrow(/no rotation under way/);
  });

  it("gives an unknown and a disabled source the same answer: none", async () => {
    const { directory, crud, id } = await setUp();
    await crud.update(id, { enabled: false }, "o");
    expect(directory.lookup(id)).toBeUndefined();
    expect(directory.lookup("src_unknown")).toBeUndefined();
    await crud.update(id, { enabled: true }, "o");
    expect(directory.lookup(id)?.secrets).toEqual([OLD]);
  });

  it("sees a change made by another process at its next refresh", async () => {
    const { directory, id } = await setUp();
    const other = new SourceDirectory({
      db: (store as Store).db,
      box: new SecretBox(Buffer.alloc(32, 9)),
      log: pino({ level: "silent" }),
    });
    await other.load();
    const otherCrud = new SourceCrud({
      db: (store as Store).db,
      box: new SecretBox(Buffer.alloc(32, 9)),
      environment: {},
      publicUrl: undefined,
      onChange: () => other.reload(),
    });
    await otherCrud.update(id, { enabled: false }, "o");
    expect(directory.lookup(id)).toBeDefined();
    await directory.refreshIfChanged();
    expect(directory.lookup(id)).toBeUndefined();
  });
});
