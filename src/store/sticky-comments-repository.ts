import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import type { Database, StickyCommentsTable } from "./schema.js";

export type StickyCommentRow = Selectable<StickyCommentsTable>;

/** Another delivery updated the same comment meanwhile: build it again from the stored rows. */
export class StickyConflictError extends Error {
  override name = "StickyConflictError";
  constructor() {
    super("the comment was updated concurrently; it will be updated again from the new rows");
  }
}

/** Identifies the pull/merge request a sticky comment lives on. */
export interface StickyKey {
  provider: "github" | "gitlab";
  /** Web origin + full path, e.g. `https://github.com/o/r`. */
  repository: string;
  number: number;
}

/**
 * The state of the sticky comment on a pull/merge request, created empty on first use. The
 * notifiers keep it here so that the comment id and the rows survive restarts, and so the
 * comment is edited rather than posted again.
 */
export class StickyComments {
  constructor(private readonly db: Kysely<Database>) {}

  /** The row for `key`, inserted (empty) if it does not exist yet. */
  async get(key: StickyKey): Promise<StickyCommentRow> {
    const now = new Date().toISOString();
    await this.db
      .insertInto("sticky_comments")
      .values({
        id: newId("stc"),
        provider: key.provider,
        repository: key.repository,
        number: key.number,
        comment_id: null,
        rows: "[]",
        closed: 0,
        creating_until: null,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(["provider", "repository", "number"]).doNothing())
      .execute();
    return this.rowOf(key).executeTakeFirstOrThrow();
  }

  /**
   * Claims the right to create the comment for `holdMs`. Only one caller wins while no comment id
   * is known, so two events handled at the same moment cannot post two comments.
   */
  async claimCreation(id: string, holdMs = 30_000): Promise<boolean> {
    const now = new Date();
    const result = await this.db
      .updateTable("sticky_comments")
      .set({ creating_until: new Date(now.getTime() + holdMs).toISOString() })
      .where("id", "=", id)
      .where("comment_id", "is", null)
      .where((eb) =>
        eb.or([eb("creating_until", "is", null), eb("creating_until", "<", now.toISOString())]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Saves the comment id and rows after a successful create or edit, and ends any creation
   * claim. `previousRows` is the `rows` this update was built on: if another delivery saved
   * different rows meanwhile, nothing is saved and a `StickyConflictError` says to build the
   * comment again from the new rows (so concurrent updates never lose each other's row).
   */
  async save(id: string, commentId: string, rows: string, previousRows: string): Promise<void> {
    const result = await this.db
      .updateTable("sticky_comments")
      .set({
        comment_id: commentId,
        rows,
        creating_until: null,
        updated_at: new Date().toISOString(),
      })
      .where("id", "=", id)
      .where("rows", "=", previousRows)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      // Keep the comment id: the comment exists, only its rows must be merged again.
      await this.db
        .updateTable("sticky_comments")
        .set({ comment_id: commentId, creating_until: null })
        .where("id", "=", id)
        .execute();
      throw new StickyConflictError();
    }
  }

  /** Forgets a comment id (the comment was deleted by someone): the next update recreates it. */
  async forgetComment(id: string): Promise<void> {
    await this.db
      .updateTable("sticky_comments")
      .set({ comment_id: null, creating_until: null, updated_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
  }

  /** Releases a creation claim that did not lead to a comment. */
  async releaseCreation(id: string): Promise<void> {
    await this.db
      .updateTable("sticky_comments")
      .set({ creating_until: null })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Marks the comment of a closed pull/merge request: its rows stay as they are and later events
   * leave it alone. Returns the row, if Shipcast ever commented there.
   */
  async close(key: StickyKey): Promise<StickyCommentRow | undefined> {
    await this.db
      .updateTable("sticky_comments")
      .set({ closed: 1, updated_at: new Date().toISOString() })
      .where("provider", "=", key.provider)
      .where("repository", "=", key.repository)
      .where("number", "=", key.number)
      .execute();
    return this.rowOf(key).executeTakeFirst();
  }

  /** The query of the one row of `key` (the table's primary key). */
  private rowOf(key: StickyKey) {
    return this.db
      .selectFrom("sticky_comments")
      .selectAll()
      .where("provider", "=", key.provider)
      .where("repository", "=", key.repository)
      .where("number", "=", key.number);
  }
}
