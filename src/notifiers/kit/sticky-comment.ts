/**
 * The sticky-comment engine: one comment per pull/merge request, a table of the latest deploy
 * state of every project and environment, edited in place on every event (REFERENCE.md,
 * "Outputs": GitHub PR comment, GitLab MR note). The algorithm lives here once; each provider
 * only brings a `StickyAdapter` (edit, find, create, and what its errors mean).
 *
 * The comment's id and rows live in the store (`StickyComments`), so a restart edits the same
 * comment. Every save is a compare-and-set on the rows it was built on, so two deliveries for
 * one pull request never lose each other's row. When the id is unknown the comment is looked
 * for by its marker and the app's own author before one is created, and creation is claimed in
 * the store first, so two events handled at the same moment cannot post two comments.
 */
import type { DeployEvent } from "../../events/deploy-event.js";
import {
  type StickyComments,
  StickyConflictError,
  type StickyKey,
} from "../../store/sticky-comments-repository.js";
import { type DeployRow, mergeRow, renderDeployTable, rowFromEvent } from "./deploy-table.js";
import type { AttemptFacts, AttemptResult } from "./notifier.js";

/**
 * How soon a delivery that lost a race for the comment tries again (another delivery was
 * creating it, or saved other rows first): by then the winner has saved.
 */
export const RACE_RETRY_MS = 500;

/** What the engine uses of the sticky-comments store. */
export type StickyStore = Pick<
  StickyComments,
  "get" | "save" | "forgetComment" | "claimCreation" | "releaseCreation" | "close"
>;

/** A comment the provider wrote: its id, and what the answer says for the delivery log. */
export interface WrittenComment {
  id: string;
  facts?: AttemptFacts;
}

/**
 * One provider's side of the sticky comment on one pull/merge request. Methods throw the
 * provider's own errors; `isNotFound` and `errorResult` say what those mean.
 */
export interface StickyAdapter {
  /** What the provider calls a comment, for messages: `comment`, `note`. */
  noun: string;
  /** The pull/merge request as people write it, for messages: `#6`, `!1`. */
  where: string;
  /** What the provider calls a pull/merge request, for the closing note: `pull request`. */
  changeName: string;
  /** Replaces the body of the comment `id`. */
  edit(id: string, body: string): Promise<WrittenComment>;
  /** The app's own comment: it carries the marker and the app is its author (anyone can quote). */
  findOwn(): Promise<string | undefined>;
  create(body: string): Promise<WrittenComment>;
  /** Whether `error` says the comment is gone (someone deleted it). */
  isNotFound(error: unknown): boolean;
  /** The result of a provider error thrown while doing `action` ("creating the comment on #6"). */
  errorResult(error: unknown, action: string): AttemptResult;
}

/** A failure of the store, told apart from the provider's failures. */
class StoreFailure extends Error {
  override name = "StoreFailure";
}

/** Runs a store operation, marking its failure as the store's (a lost compare-and-set stays). */
async function inStore<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof StickyConflictError) throw error;
    throw new StoreFailure(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

/**
 * The result of an error that escaped the provider's translation: the store's failures (a lost
 * compare-and-set is retried soon), or a bug, retried like any failure that may pass.
 */
function escapedResult(error: unknown): AttemptResult {
  if (error instanceof StickyConflictError) {
    return { outcome: "retry", error: error.message, retryAfterMs: RACE_RETRY_MS };
  }
  if (error instanceof StoreFailure) {
    return { outcome: "retry", error: `sticky-comment store: ${error.message}` };
  }
  return { outcome: "retry", error: `sticky comment: ${String(error)}` };
}

/** Stored rows; anything unreadable counts as none (the next render rebuilds the table). */
function parseRows(text: string): DeployRow[] {
  try {
    const rows: unknown = JSON.parse(text);
    return Array.isArray(rows) ? (rows as DeployRow[]) : [];
  } catch {
    return [];
  }
}

function written(comment: WrittenComment): AttemptResult {
  return { outcome: "succeeded", ...comment.facts };
}

/**
 * Merges the event's row into the sticky comment of `key`: edits the known comment, or finds
 * the app's own one, or creates it. Skips a closed pull/merge request, and sends nothing when
 * the row shown is newer or identical (a redelivered event). Never throws: the store's failures
 * are `retry` results, the provider's are what `adapter.errorResult` makes of them.
 */
export async function updateStickyComment(
  store: StickyStore,
  key: StickyKey,
  adapter: StickyAdapter,
  event: DeployEvent,
): Promise<AttemptResult> {
  try {
    return await update(store, key, adapter, event);
  } catch (error) {
    return escapedResult(error);
  }
}

async function update(
  store: StickyStore,
  key: StickyKey,
  adapter: StickyAdapter,
  event: DeployEvent,
): Promise<AttemptResult> {
  const { noun, where } = adapter;
  const state = await inStore(store.get(key));
  if (state.closed) return { outcome: "skipped", reason: `the ${adapter.changeName} is closed` };

  const before = parseRows(state.rows);
  const merged = mergeRow(before, rowFromEvent(event));
  // An older state than the one shown, or the same one again (a redelivered event): the
  // comment already says it.
  const changed = merged.changed && JSON.stringify(merged.rows) !== JSON.stringify(before);
  if (!changed && state.comment_id !== null) return { outcome: "succeeded", response: "no change" };
  const body = renderDeployTable(merged.rows);
  const rows = JSON.stringify(merged.rows);

  if (state.comment_id !== null) {
    let comment: WrittenComment | undefined;
    try {
      comment = await adapter.edit(state.comment_id, body);
    } catch (error) {
      if (!adapter.isNotFound(error)) {
        return adapter.errorResult(error, `editing ${noun} ${state.comment_id} on ${where}`);
      }
      // Someone deleted the comment: start over with a new one.
      await inStore(store.forgetComment(state.id));
    }
    if (comment !== undefined) {
      await inStore(store.save(state.id, comment.id, rows, state.rows));
      return written(comment);
    }
  }

  if (!(await inStore(store.claimCreation(state.id)))) {
    return {
      outcome: "retry",
      error: `another delivery is creating the ${noun} on ${where}`,
      retryAfterMs: RACE_RETRY_MS,
    };
  }
  let action = `looking for the Shipcast ${noun} on ${where}`;
  let comment: WrittenComment | undefined;
  try {
    const existing = await adapter.findOwn();
    if (existing !== undefined) {
      action = `editing ${noun} ${existing} on ${where}`;
      // Deleted between the listing and the edit: create a new one below.
      comment = await adapter.edit(existing, body).catch((error: unknown) => {
        if (adapter.isNotFound(error)) return undefined;
        throw error;
      });
    }
    if (comment === undefined) {
      action = `creating the ${noun} on ${where}`;
      comment = await adapter.create(body);
    }
  } catch (error) {
    // Unclaimed at once, so that the retry need not wait out the claim.
    await store.releaseCreation(state.id).catch(() => undefined);
    return adapter.errorResult(error, action);
  }
  try {
    await inStore(store.save(state.id, comment.id, rows, state.rows));
  } catch (error) {
    // A lost compare-and-set ends the claim itself; a failed store may still take this.
    if (error instanceof StoreFailure) await store.releaseCreation(state.id).catch(() => undefined);
    throw error;
  }
  return written(comment);
}

/**
 * Marks the sticky comment of `key` closed (later deploy events leave it alone) and edits it
 * once more to say so. `open` gives the provider's adapter, or the result to end with (the app
 * is not installed there): it is only called when there is a comment to edit, so closing a pull
 * request Shipcast never commented on costs no request to the provider.
 */
export async function closeStickyComment(
  store: StickyStore,
  key: StickyKey,
  open: () => Promise<StickyAdapter | AttemptResult>,
): Promise<AttemptResult> {
  try {
    const state = await inStore(store.close(key));
    if (state === undefined || state.comment_id === null) {
      return { outcome: "skipped", reason: "Shipcast never commented there" };
    }
    const adapter = await open();
    if (!("edit" in adapter)) return adapter;
    const { noun, where } = adapter;
    const body = renderDeployTable(parseRows(state.rows), {
      closed: true,
      changeName: adapter.changeName,
    });
    try {
      return written(await adapter.edit(state.comment_id, body));
    } catch (error) {
      if (!adapter.isNotFound(error)) {
        return adapter.errorResult(error, `marking ${noun} ${state.comment_id} on ${where} closed`);
      }
      await inStore(store.forgetComment(state.id));
      return { outcome: "skipped", reason: `the ${noun} on ${where} was deleted` };
    }
  } catch (error) {
    return escapedResult(error);
  }
}
