/**
 * The `gitlab-comment` notifier: one note per merge request, a table of the latest deploy state
 * of every project and environment, edited in place on every event (REFERENCE.md, "Outputs":
 * GitLab MR note). The note's id and rows live in the sticky-comments store, so a restart edits
 * the same note rather than posting a second one.
 *
 * Creating a note is guarded by the store's creation claim: of two deliveries for one merge
 * request that find no note, one creates it and the other is retried shortly and then edits it.
 * When the store has no note id (lost, or the note was posted before the store existed), the
 * note is found again by its marker and its author, the token's user; a note by anyone else is
 * never taken over, even when it quotes the marker.
 */
import type { MergeRequestSchema } from "@gitbeaker/rest";
import { z } from "zod";
import type { DeployEvent, RepositoryRef } from "../../events/deploy-event.js";
import type { StickyCommentRow, StickyComments } from "../../store/sticky-comments-repository.js";
import {
  type DeployRow,
  mergeRow,
  renderDeployTable,
  rowFromEvent,
  STICKY_MARKER,
} from "../kit/deploy-table.js";
import {
  type AttemptResult,
  defaultSubject,
  defineNotifier,
  hasCommitOn,
  type Notifier,
} from "../kit/notifier.js";
import { type GitlabApi, withAttemptSignal } from "./gitlab-client.js";
import { gitlabErrorResult, gitlabStatus } from "./gitlab-errors.js";
import { gitlabTargetOf } from "./gitlab-target.js";

const settingsSchema = z.object({}).strict();

/** Settings of a `gitlab-comment` target: none yet. */
export type GitlabCommentSettings = z.infer<typeof settingsSchema>;

/** How soon a delivery that lost the creation claim tries again: the winner is mid-create. */
const CLAIM_LOST_RETRY_MS = 500;

/** Notes per page when looking for Shipcast's own note (GitLab's maximum). */
const NOTES_PER_PAGE = 100;

const ACTION = "updating the GitLab merge request note";

/** Dependencies of the `gitlab-comment` notifier. */
export interface GitlabCommentDeps {
  gitlab: Pick<GitlabApi, "Commits" | "MergeRequestNotes" | "Users">;
  sticky: StickyComments;
  /**
   * Web origins of the instance the client talks to. When given, an event whose repository is
   * on another origin is skipped (project ids and paths are per instance).
   */
  origins?: readonly string[];
}

/** A failure of the sticky-comments store, told apart from GitLab's failures. */
class StoreError extends Error {
  override name = "StoreError";
}

/** Runs a store operation, marking its failure as the store's. */
async function inStore<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new StoreError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** `gitlab|<fullPath>|!<iid>`, or `gitlab|<fullPath>|sha:<sha>` until the MR is known. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  if (repository?.host !== "gitlab") return defaultSubject(event);
  const which = event.change ? `!${event.change.number}` : `sha:${event.commit?.sha ?? ""}`;
  return `gitlab|${repository.fullPath}|${which}`;
}

/** The rows stored for a merge request; a row set that cannot be read starts over. */
function storedRows(state: StickyCommentRow): DeployRow[] {
  try {
    const rows: unknown = JSON.parse(state.rows);
    return Array.isArray(rows) ? (rows as DeployRow[]) : [];
  } catch {
    return [];
  }
}

/** Whether a merge request belongs to the event's project (a fork's MRs number their own way). */
function inProject(mergeRequest: MergeRequestSchema, repository: RepositoryRef): boolean {
  if (repository.id !== undefined) return mergeRequest.project_id === repository.id;
  const base = `${repository.url ?? `${repository.origin}/${repository.fullPath}`}/-/merge_requests/`;
  return typeof mergeRequest.web_url === "string" && mergeRequest.web_url.startsWith(base);
}

/**
 * Creates the `gitlab-comment` notifier. `deps.gitlab` is the client from `createGitlabClient`;
 * `deps.sticky` keeps each merge request's note id and rows.
 */
export function gitlabCommentNotifier(deps: GitlabCommentDeps): Notifier<GitlabCommentSettings> {
  const { gitlab, sticky } = deps;
  /** The token user's id, asked once: notes are only taken over when that user wrote them. */
  let currentUserId: Promise<number> | undefined;

  function tokenUserId(): Promise<number> {
    if (currentUserId === undefined) {
      const lookup = gitlab.Users.showCurrentUser().then((user) => user.id);
      currentUserId = lookup;
      // A failed lookup is not remembered: the next attempt asks again.
      lookup.catch(() => {
        if (currentUserId === lookup) currentUserId = undefined;
      });
    }
    return currentUserId;
  }

  /** The iid of the open MR of the event's project whose head is `sha`, if there is one. */
  async function mergeRequestOf(
    projectId: string | number,
    repository: RepositoryRef,
    sha: string,
  ): Promise<number | undefined> {
    const mergeRequests = await gitlab.Commits.allMergeRequests(projectId, sha);
    const heads = mergeRequests.filter(
      (mr) => mr.state === "opened" && mr.sha === sha && inProject(mr, repository),
    );
    // Two open MRs from one branch (to different targets): the newest is the one being worked on.
    return heads.reduce<number | undefined>(
      (iid, mr) => Math.max(iid ?? mr.iid, mr.iid),
      undefined,
    );
  }

  /** The id of a note on the MR that carries the marker and was written by the token's user. */
  async function findOwnNote(projectId: string | number, iid: number): Promise<number | undefined> {
    const userId = await tokenUserId();
    const notes = await gitlab.MergeRequestNotes.all(projectId, iid, {
      sort: "asc",
      orderBy: "created_at",
      perPage: NOTES_PER_PAGE,
    });
    const own = notes.find(
      (note) => !note.system && note.author.id === userId && note.body.includes(STICKY_MARKER),
    );
    return own?.id;
  }

  async function update(
    event: DeployEvent,
    repository: RepositoryRef,
    sha: string,
  ): Promise<AttemptResult> {
    const projectId = repository.id ?? repository.fullPath;
    const iid = event.change?.number ?? (await mergeRequestOf(projectId, repository, sha));
    if (iid === undefined) {
      return { outcome: "skipped", reason: "the commit heads no open merge request" };
    }
    const state = await inStore(
      sticky.get({
        provider: "gitlab",
        repository: `${repository.origin}/${repository.fullPath}`,
        number: iid,
      }),
    );
    if (state.closed) return { outcome: "skipped", reason: "the merge request is closed" };

    const before = storedRows(state);
    const merged = mergeRow(before, rowFromEvent(event));
    // A redelivered event replaces its row with an identical one: nothing to edit.
    const changed = merged.changed && JSON.stringify(merged.rows) !== JSON.stringify(before);
    if (!changed && state.comment_id !== null) {
      return { outcome: "succeeded", response: "no change" };
    }
    const body = renderDeployTable(merged.rows);
    const rows = JSON.stringify(merged.rows);

    const knownId = state.comment_id === null ? Number.NaN : Number(state.comment_id);
    if (Number.isSafeInteger(knownId)) {
      try {
        await gitlab.MergeRequestNotes.edit(projectId, iid, knownId, { body });
        await inStore(sticky.save(state.id, String(knownId), rows, state.rows));
        return { outcome: "succeeded" };
      } catch (error) {
        if (gitlabStatus(error) !== 404) throw error;
        // Someone deleted the note: post it again below.
        await inStore(sticky.forgetComment(state.id));
      }
    } else if (state.comment_id !== null) {
      await inStore(sticky.forgetComment(state.id));
    }

    if (!(await inStore(sticky.claimCreation(state.id)))) {
      return {
        outcome: "retry",
        error: "another delivery is creating the note on this merge request",
        retryAfterMs: CLAIM_LOST_RETRY_MS,
      };
    }
    try {
      const existing = await findOwnNote(projectId, iid);
      const noteId =
        existing === undefined
          ? (await gitlab.MergeRequestNotes.create(projectId, iid, body)).id
          : (await gitlab.MergeRequestNotes.edit(projectId, iid, existing, { body })).id;
      await inStore(sticky.save(state.id, String(noteId), rows, state.rows));
      return { outcome: "succeeded" };
    } catch (error) {
      // Unclaimed at once, so that the retry need not wait out the claim.
      await sticky.releaseCreation(state.id).catch(() => undefined);
      throw error;
    }
  }

  return defineNotifier<GitlabCommentSettings>({
    kind: "gitlab-comment",
    settings: settingsSchema,
    subject,
    accepts: hasCommitOn("gitlab"),
    async deliver(_settings, context) {
      const { event } = context;
      const target = gitlabTargetOf(event, deps.origins);
      if ("reason" in target) return { outcome: "skipped", reason: target.reason };
      const { repository, sha } = target;
      try {
        return await withAttemptSignal(context.signal, () => update(event, repository, sha));
      } catch (error) {
        if (error instanceof StoreError) {
          return { outcome: "retry", error: `sticky-comment store: ${error.message}` };
        }
        return gitlabErrorResult(error, ACTION);
      }
    },
  });
}
