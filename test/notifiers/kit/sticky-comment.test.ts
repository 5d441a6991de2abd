import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { type DeployRow, STICKY_MARKER } from "../../../src/notifiers/kit/deploy-table.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import {
  closeStickyComment,
  RACE_RETRY_MS,
  type StickyAdapter,
  updateStickyComment,
} from "../../../src/notifiers/kit/sticky-comment.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { StickyComments, type StickyKey } from "../../../src/store/sticky-comments-repository.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../helpers/databases.js";

const KEY: StickyKey = { provider: "gitlab", repository: "https://git.test/acme/site", number: 7 };

function event(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "netlify",
    sourceEvent: "deploy_created",
    project: { name: "web" },
    environment: { name: "preview", type: "PREVIEW" },
    commit: { sha: "a".repeat(40) },
    change: { number: 7 },
    urls: { deploy: "https://preview.web.test" },
    occurredAt: "2026-01-01T10:00:00.000Z",
    ids: {},
    ...overrides,
  };
}

/** Another project deployed from the same pull request: a second row. */
const docs = (overrides: Partial<DeployEvent> = {}) =>
  event({ project: { name: "docs" }, occurredAt: "2026-01-01T10:01:00.000Z", ...overrides });

/** A provider error the fake adapter throws; `status` 404 means the comment is gone. */
class FakeProviderError extends Error {
  constructor(readonly status: number) {
    super(`provider answered ${status}`);
  }
}

/**
 * A provider held in memory: comments by id, every call recorded, and any call made to fail or
 * to wait for a gate.
 */
function fakeProvider() {
  const comments = new Map<string, string>();
  const calls: string[] = [];
  let nextId = 100;
  const failures = new Map<string, number>();
  const gates = new Map<string, Promise<void>>();
  async function step(name: string): Promise<void> {
    calls.push(name);
    await gates.get(name);
    const status = failures.get(name);
    if (status !== undefined) {
      failures.delete(name);
      throw new FakeProviderError(status);
    }
  }
  const adapter: StickyAdapter = {
    noun: "note",
    where: "!7",
    changeName: "merge request",
    async edit(id, body) {
      await step(`edit ${id}`);
      if (!comments.has(id)) throw new FakeProviderError(404);
      comments.set(id, body);
      return { id, facts: { httpStatus: 200 } };
    },
    async findOwn() {
      await step("find");
      for (const [id, body] of comments) if (body.startsWith(STICKY_MARKER)) return id;
      return undefined;
    },
    async create(body) {
      await step("create");
      const id = String(nextId++);
      comments.set(id, body);
      return { id, facts: { httpStatus: 201 } };
    },
    isNotFound: (error) => error instanceof FakeProviderError && error.status === 404,
    errorResult: (error, action) => ({
      outcome: "failed",
      error: `${action}: ${(error as Error).message}`,
    }),
  };
  return {
    adapter,
    comments,
    calls,
    /** The next call named `name` fails with `status`. */
    failNext(name: string, status: number) {
      failures.set(name, status);
    },
    /** Calls named `name` wait until the returned function is called. */
    hold(name: string): () => void {
      let release = () => {};
      gates.set(
        name,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return () => {
        gates.delete(name);
        release();
      };
    },
  };
}

function projectsOf(rows: string): string[] {
  return (JSON.parse(rows) as DeployRow[]).map((row) => `${row.project}:${row.kind}`).sort();
}

describe.each(ENGINES)("the sticky-comment engine on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let sticky: StickyComments;
  let provider: ReturnType<typeof fakeProvider>;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    sticky = new StickyComments(store.db);
    provider = fakeProvider();
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const update = (e: DeployEvent) => updateStickyComment(sticky, KEY, provider.adapter, e);

  it("creates the comment once, then edits it, keeping every row", async () => {
    expect(await update(event())).toEqual({ outcome: "succeeded", httpStatus: 201 });
    expect(await update(docs())).toEqual({ outcome: "succeeded", httpStatus: 200 });
    expect(provider.calls).toEqual(["find", "create", "edit 100"]);
    const body = provider.comments.get("100") ?? "";
    expect(body).toContain("| web | preview | ✅ Ready |");
    expect(body).toContain("| docs | preview | ✅ Ready |");
    const state = await sticky.get(KEY);
    expect(state.comment_id).toBe("100");
    expect(projectsOf(state.rows)).toEqual(["docs:deploy.succeeded", "web:deploy.succeeded"]);
  });

  it("sends nothing for a redelivered identical row, nor for an older one", async () => {
    await update(event());
    expect(await update(event())).toEqual({ outcome: "succeeded", response: "no change" });
    const older = event({ kind: "deploy.started", occurredAt: "2026-01-01T09:00:00.000Z" });
    expect(await update(older)).toEqual({ outcome: "succeeded", response: "no change" });
    expect(provider.calls).toEqual(["find", "create"]);
  });

  it("recreates a comment someone deleted", async () => {
    await update(event());
    provider.comments.clear();
    expect(await update(docs())).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(provider.calls).toEqual(["find", "create", "edit 100", "find", "create"]);
    expect((await sticky.get(KEY)).comment_id).toBe("101");
    expect(provider.comments.get("101")).toContain("| web | preview |");
  });

  it("takes over its own comment found by the adapter instead of creating one", async () => {
    provider.comments.set("55", `${STICKY_MARKER}\nan old table`);
    expect(await update(event())).toEqual({ outcome: "succeeded", httpStatus: 200 });
    expect(provider.calls).toEqual(["find", "edit 55"]);
    expect((await sticky.get(KEY)).comment_id).toBe("55");
  });

  it("creates one when the comment found is deleted before the edit", async () => {
    provider.comments.set("55", `${STICKY_MARKER}\nan old table`);
    provider.failNext("edit 55", 404);
    expect(await update(event())).toEqual({ outcome: "succeeded", httpStatus: 201 });
    expect(provider.calls).toEqual(["find", "edit 55", "create"]);
  });

  it("lets one of two concurrent deliveries create; the other is retried and edits", async () => {
    const release = provider.hold("create");
    const first = update(event());
    // The first holds the creation claim while it creates.
    await expect.poll(() => provider.calls).toEqual(["find", "create"]);
    expect(await update(docs())).toEqual({
      outcome: "retry",
      error: "another delivery is creating the note on !7",
      retryAfterMs: RACE_RETRY_MS,
    });
    release();
    expect(await first).toMatchObject({ outcome: "succeeded" });
    expect(await update(docs())).toMatchObject({ outcome: "succeeded", httpStatus: 200 });
    expect([...provider.comments.keys()]).toEqual(["100"]);
  });

  it("retries a delivery whose rows another one changed meanwhile, losing no row", async () => {
    await update(event());
    const release = provider.hold("edit 100");
    const slow = update(docs());
    await expect.poll(() => provider.calls.at(-1)).toBe("edit 100");
    // Another delivery of the same pull request saves its row first (a second process).
    const other = await sticky.get(KEY);
    const theirs = JSON.parse(other.rows) as DeployRow[];
    const api = { ...(theirs[0] as DeployRow), key: "api|preview", project: "api" };
    await sticky.save(other.id, "100", JSON.stringify([...theirs, api]), other.rows);
    release();
    expect(await slow).toMatchObject({ outcome: "retry", retryAfterMs: RACE_RETRY_MS });
    // The retry builds on the new rows: all three are kept.
    expect(await update(docs())).toMatchObject({ outcome: "succeeded" });
    expect(projectsOf((await sticky.get(KEY)).rows)).toEqual([
      "api:deploy.succeeded",
      "docs:deploy.succeeded",
      "web:deploy.succeeded",
    ]);
    expect(provider.comments.get("100")).toContain("| api | preview |");
  });

  it("releases its claim when creating fails, so the next attempt can create", async () => {
    provider.failNext("create", 403);
    expect(await update(event())).toEqual({
      outcome: "failed",
      error: "creating the note on !7: provider answered 403",
    });
    expect((await sticky.get(KEY)).creating_until).toBeNull();
    expect(await update(event())).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
  });

  it("keeps the comment id when an edit fails for another reason than a deletion", async () => {
    await update(event());
    provider.failNext("edit 100", 422);
    expect(await update(docs())).toEqual({
      outcome: "failed",
      error: "editing note 100 on !7: provider answered 422",
    });
    expect((await sticky.get(KEY)).comment_id).toBe("100");
  });

  it("closes: marks the row closed, edits once with the closing note, and skips later events", async () => {
    await update(event());
    let opened = 0;
    const result = await closeStickyComment(sticky, KEY, async () => {
      opened++;
      return provider.adapter;
    });
    expect(result).toEqual({ outcome: "succeeded", httpStatus: 200 });
    expect(opened).toBe(1);
    const body = provider.comments.get("100") ?? "";
    expect(body).toContain("| web | preview | ✅ Ready |");
    expect(body).toContain("_This merge request is closed: this comment is no longer updated._");
    expect((await sticky.get(KEY)).closed).toBe(1);
    expect(await update(docs())).toEqual({
      outcome: "skipped",
      reason: "the merge request is closed",
    });
  });

  it("closes without opening the provider when there is no comment", async () => {
    let opened = 0;
    const open = async () => {
      opened++;
      return provider.adapter;
    };
    expect(await closeStickyComment(sticky, KEY, open)).toEqual({
      outcome: "skipped",
      reason: "Shipcast never commented there",
    });
    expect(opened).toBe(0);
  });

  it("ends a close with what opening the provider says, and forgets a deleted comment", async () => {
    await update(event());
    const notInstalled: AttemptResult = { outcome: "skipped", reason: "not installed" };
    expect(await closeStickyComment(sticky, KEY, async () => notInstalled)).toBe(notInstalled);

    provider.comments.clear();
    expect(await closeStickyComment(sticky, KEY, async () => provider.adapter)).toEqual({
      outcome: "skipped",
      reason: "the note on !7 was deleted",
    });
    expect((await sticky.get(KEY)).comment_id).toBeNull();
  });

  it("retries, naming the store, when the store fails", async () => {
    await store.close();
    const updated = await updateStickyComment(sticky, KEY, provider.adapter, event());
    expect(updated).toMatchObject({ outcome: "retry" });
    expect(updated).toHaveProperty("error", expect.stringContaining("sticky-comment store: "));
    const closed = await closeStickyComment(sticky, KEY, async () => provider.adapter);
    expect(closed).toMatchObject({ outcome: "retry" });
    expect(closed).toHaveProperty("error", expect.stringContaining("sticky-comment store: "));
    expect(provider.calls).toEqual([]);
    store = await openStore(database.location);
  });
});
