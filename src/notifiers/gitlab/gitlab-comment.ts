/**
 * The `gitlab-comment` notifier: one note per merge request, a table of the latest deploy state
 * of every project and environment, edited in place on every event (REFERENCE.md, "Outputs":
 * GitLab MR note); a merge request closed or merged (`change.closed`) gets its note marked
 * closed.
 *
 * The algorithm is the kit's sticky-comment engine; this module finds the merge request and
 * gives the engine its GitLab adapter. When the store has no note id (lost, or the note was
 * posted before the store existed), the note is found again by its marker and its author, the
 * token's user; a note by anyone else is never taken over, even when it quotes the marker.
 */
import type { MergeRequestSchema } from "@gitbeaker/rest";
import { z } from "zod";
import type { DeployEvent, RepositoryRef } from "../../events/deploy-event.js";
import type { StickyKey } from "../../store/sticky-comments-repository.js";
import { STICKY_MARKER } from "../kit/deploy-table.js";
import {
  type AttemptResult,
  defaultSubject,
  defineNotifier,
  hasCommentOn,
  type Notifier,
} from "../kit/notifier.js";
import {
  closeStickyComment,
  type StickyAdapter,
  type StickyStore,
  updateStickyComment,
} from "../kit/sticky-comment.js";
import { type GitlabApi, withAttemptSignal } from "./gitlab-client.js";
import { gitlabErrorResult, gitlabStatus } from "./gitlab-errors.js";
import { gitlabRepositoryOf, gitlabTargetOf } from "./gitlab-target.js";

const settingsSchema = z.object({}).strict();

/** Settings of a `gitlab-comment` target: none yet. */
export type GitlabCommentSettings = z.infer<typeof settingsSchema>;

/** Notes per page when looking for Shipcast's own note (GitLab's maximum). */
const NOTES_PER_PAGE = 100;

const ACTION = "looking for the merge request the commit heads";

/** Dependencies of the `gitlab-comment` notifier. */
export interface GitlabCommentDeps {
  gitlab: Pick<GitlabApi, "Commits" | "MergeRequestNotes" | "Users">;
  sticky: StickyStore;
  /**
   * Web origins of the instance the client talks to. When given, an event whose repository is
   * on another origin is skipped (project ids and paths are per instance).
   */
  origins?: readonly string[];
}

/** `gitlab|<fullPath>|!<iid>`, or `gitlab|<fullPath>|sha:<sha>` until the MR is known. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  if (repository?.host !== "gitlab") return defaultSubject(event);
  const which = event.change ? `!${event.change.number}` : `sha:${event.commit?.sha ?? ""}`;
  return `gitlab|${repository.fullPath}|${which}`;
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

  /** The engine's GitLab side for merge request `iid` of `projectId`. */
  function gitlabAdapter(projectId: string | number, iid: number): StickyAdapter {
    return {
      noun: "note",
      where: `!${iid}`,
      changeName: "merge request",
      async edit(id, body) {
        const note = await gitlab.MergeRequestNotes.edit(projectId, iid, Number(id), { body });
        return { id: String(note.id) };
      },
      async findOwn() {
        const id = await findOwnNote(projectId, iid);
        return id === undefined ? undefined : String(id);
      },
      async create(body) {
        return { id: String((await gitlab.MergeRequestNotes.create(projectId, iid, body)).id) };
      },
      isNotFound: (error) => gitlabStatus(error) === 404,
      errorResult: (error, action) => gitlabErrorResult(error, action),
    };
  }

  function stickyKey(repository: RepositoryRef, iid: number): StickyKey {
    return {
      provider: "gitlab",
      repository: `${repository.origin}/${repository.fullPath}`,
      number: iid,
    };
  }

  async function update(
    event: DeployEvent,
    repository: RepositoryRef,
    sha: string,
  ): Promise<AttemptResult> {
    const projectId = repository.id ?? repository.fullPath;
    let iid = event.change?.number;
    if (iid === undefined) {
      try {
        iid = await mergeRequestOf(projectId, repository, sha);
      } catch (error) {
        return gitlabErrorResult(error, ACTION);
      }
    }
    if (iid === undefined) {
      return { outcome: "skipped", reason: "the commit heads no open merge request" };
    }
    return updateStickyComment(
      sticky,
      stickyKey(repository, iid),
      gitlabAdapter(projectId, iid),
      event,
    );
  }

  return defineNotifier<GitlabCommentSettings>({
    kind: "gitlab-comment",
    settings: settingsSchema,
    subject,
    accepts: hasCommentOn("gitlab"),
    async deliver(_settings, context) {
      const { event } = context;
      if (event.kind === "change.closed") {
        const found = gitlabRepositoryOf(event, deps.origins);
        if ("reason" in found) return { outcome: "skipped", reason: found.reason };
        const { repository } = found;
        if (event.change === undefined) {
          return { outcome: "skipped", reason: "the event names no merge request" };
        }
        const iid = event.change.number;
        const adapter = gitlabAdapter(repository.id ?? repository.fullPath, iid);
        return withAttemptSignal(context.signal, () =>
          closeStickyComment(sticky, stickyKey(repository, iid), async () => adapter),
        );
      }
      const target = gitlabTargetOf(event, deps.origins);
      if ("reason" in target) return { outcome: "skipped", reason: target.reason };
      const { repository, sha } = target;
      return withAttemptSignal(context.signal, () => update(event, repository, sha));
    },
  });
}
