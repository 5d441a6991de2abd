import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { StickyComments, StickyConflictError } from "../../src/store/sticky-comments-repository.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";

const KEY = { provider: "github" as const, repository: "https://github.com/o/r", number: 6 };

describe.each(ENGINES)("sticky comment state on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let sticky: StickyComments;
  beforeEach(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    sticky = new StickyComments(store.db);
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("creates the state once per pull request and returns the same row after", async () => {
    const a = await sticky.get(KEY);
    const b = await sticky.get(KEY);
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ comment_id: null, rows: "[]", closed: 0 });
    expect((await sticky.get({ ...KEY, number: 7 })).id).not.toBe(a.id);
  });

  it("lets only one delivery claim the creation of the comment", async () => {
    const { id } = await sticky.get(KEY);
    const claims = await Promise.all([sticky.claimCreation(id), sticky.claimCreation(id)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await sticky.releaseCreation(id);
    expect(await sticky.claimCreation(id)).toBe(true);
  });

  it("refuses a save built on rows another delivery changed meanwhile, keeping the comment id", async () => {
    const { id, rows } = await sticky.get(KEY);
    await sticky.save(id, "1001", '[{"key":"a"}]', rows);
    await expect(sticky.save(id, "1001", '[{"key":"b"}]', rows)).rejects.toBeInstanceOf(
      StickyConflictError,
    );
    const after = await sticky.get(KEY);
    expect(after.rows).toBe('[{"key":"a"}]');
    expect(after.comment_id).toBe("1001");
  });

  it("marks a closed pull request and forgets deleted comments", async () => {
    const { id, rows } = await sticky.get(KEY);
    await sticky.save(id, "1001", rows, rows);
    await sticky.forgetComment(id);
    expect((await sticky.get(KEY)).comment_id).toBeNull();
    expect((await sticky.close(KEY))?.closed).toBe(1);
    expect(await sticky.close({ ...KEY, number: 99 })).toBeUndefined();
  });
});
