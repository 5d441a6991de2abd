/**
 * The `github-comment` notifier: one comment per pull request, edited in place for every deploy
 * (REFERENCE.md, "Outputs": GitHub PR comment, updated in place). The comment shows one row per
 * project and environment; an event replaces its own row and leaves the others alone.
 *
 * The comment id and the rows live in the store (`StickyComments`), so a restart edits the same
 * comment. When the id is unknown the comment is looked for by its marker and the app's login
 * before one is created, and creation is claimed in the store first, so two events handled at
 * the same moment cannot post two comments.
 */
import { z } from "zod";
import type { DeployEvent } from "../../events/deploy-event.js";
import type { StickyComments } from "../../store/sticky-comments-repository.js";
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
import { type GithubClients, type GithubRepository, githubRepositoryOf } from "./github-clients.js";
import { githubErrorResult, githubErrorStatus, invalidatesInstallation } from "./github-errors.js";
import {
  appliesTo,
  REPOSITORY_SETTINGS_PATH,
  type RepositorySettingsCache,
} from "./repository-settings.js";

const settingsSchema = z.object({}).strict();

/** Settings of a `github-comment` target: none (the repository file holds the choices). */
export type GithubCommentSettings = z.output<typeof settingsSchema>;

/** What the notifier needs: the app's clients, the sticky-comment store and the settings cache. */
export interface GithubCommentDeps {
  clients: GithubClients;
  sticky: StickyComments;
  settingsCache: RepositorySettingsCache;
}

/** How soon the loser of a creation race tries again: by then the winner has saved the id. */
const CREATION_RACE_RETRY_MS = 500;

type Octokit = NonNullable<Awaited<ReturnType<GithubClients["forRepository"]>>>;

/** The comments of one pull request go one at a time. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  if (repository?.host !== "github") return defaultSubject(event);
  if (event.change) return `github|${repository.fullPath}|#${event.change.number}`;
  const sha = event.commit?.sha;
  return sha ? `github|${repository.fullPath}|sha:${sha}` : defaultSubject(event);
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

/**
 * The open pull request whose head is `sha` (the lowest number when several are), or undefined.
 * A commit that is merely contained in a pull request is not its deploy preview.
 */
async function pullRequestHeadedBy(
  octokit: Octokit,
  repository: GithubRepository,
  sha: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    owner: repository.owner,
    repo: repository.repo,
    commit_sha: sha,
    per_page: 100,
    request: { signal },
  });
  const open = data
    .filter((pull) => pull.state === "open" && pull.head.sha.toLowerCase() === sha.toLowerCase())
    .map((pull) => pull.number)
    .sort((a, b) => a - b);
  return open[0];
}

/** The app's own comment on the pull request, found by its marker and its author. */
async function findOwnComment(
  octokit: Octokit,
  repository: GithubRepository,
  number: number,
  login: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: repository.owner,
    repo: repository.repo,
    issue_number: number,
    per_page: 100,
    request: { signal },
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      // The author matters: anyone can paste the marker into a comment of their own.
      if (comment.body?.includes(STICKY_MARKER) && comment.user?.login === login) {
        return comment.id;
      }
    }
  }
  return undefined;
}

function commentFacts(status: number, data: { id: number; html_url?: string }) {
  return {
    httpStatus: status,
    response: JSON.stringify({ id: data.id, html_url: data.html_url }),
  };
}

/**
 * Creates the `github-comment` notifier. Share `deps.settingsCache` with the `github-status`
 * notifier so that one event reads `.github/shipcast.yml` once.
 */
export function githubCommentNotifier(deps: GithubCommentDeps): Notifier<GithubCommentSettings> {
  const { clients, settingsCache } = deps;
  return defineNotifier<GithubCommentSettings>({
    kind: "github-comment",
    settings: settingsSchema,
    subject,
    accepts: hasCommitOn("github"),
    async deliver(_settings, context) {
      const { event, signal } = context;
      const found = githubRepositoryOf(event, clients);
      if ("reason" in found) return { outcome: "skipped", reason: found.reason };
      const { repository } = found;
      const { owner, repo, fullPath } = repository;
      const sha = event.commit?.sha;
      if (!sha) return { outcome: "skipped", reason: "the event names no commit" };
      if (event.kind === "form.submitted") {
        return { outcome: "skipped", reason: `no pull request comment for ${event.kind}` };
      }

      let action = "looking up the app's installation";
      try {
        const octokit = await clients.forRepository(owner, repo);
        if (octokit === undefined) {
          return {
            outcome: "skipped",
            reason: `the Shipcast GitHub App is not installed on ${fullPath}`,
          };
        }

        action = `reading ${REPOSITORY_SETTINGS_PATH}`;
        const read = await settingsCache.read(octokit, owner, repo);
        // The github-status notifier reports a broken file on the commit; here it only stops us.
        if (!read.ok) return { outcome: "skipped", reason: read.problem };
        if (!read.settings.comments) {
          return {
            outcome: "skipped",
            reason: `pull request comments are off in ${REPOSITORY_SETTINGS_PATH}`,
          };
        }
        if (!appliesTo(read.settings, event)) {
          return {
            outcome: "skipped",
            reason: `environment ${event.environment.name} (${event.environment.type}) is not in the environments of ${REPOSITORY_SETTINGS_PATH}`,
          };
        }

        action = "looking for the pull request the commit heads";
        const number =
          event.change?.number ?? (await pullRequestHeadedBy(octokit, repository, sha, signal));
        if (number === undefined) {
          return { outcome: "skipped", reason: "the commit heads no open pull request" };
        }

        action = `updating the Shipcast comment on #${number}`;
        return await updateSticky({ octokit, repository, number, event, signal, deps });
      } catch (error) {
        if (invalidatesInstallation(error)) clients.forget(owner, repo);
        return githubErrorResult(error, action);
      }
    },
  });
}

interface StickyInput {
  octokit: Octokit;
  repository: GithubRepository;
  number: number;
  event: DeployEvent;
  signal: AbortSignal;
  deps: GithubCommentDeps;
}

/** Merges the event's row into the pull request's comment: edit it, or find or create it. */
async function updateSticky(input: StickyInput): Promise<AttemptResult> {
  const { octokit, repository, number, event, signal, deps } = input;
  const { owner, repo } = repository;
  const state = await deps.sticky.get({
    provider: "github",
    repository: `${repository.origin}/${repository.fullPath}`,
    number,
  });
  if (state.closed) return { outcome: "skipped", reason: "pull request closed" };

  const merged = mergeRow(parseRows(state.rows), rowFromEvent(event));
  // An older state than the one shown: the comment already says something newer.
  if (!merged.changed && state.comment_id !== null) {
    return { outcome: "succeeded", response: "no change" };
  }
  const body = renderDeployTable(merged.rows);
  const rows = JSON.stringify(merged.rows);

  if (state.comment_id !== null) {
    try {
      const response = await octokit.rest.issues.updateComment({
        owner,
        repo,
        comment_id: Number(state.comment_id),
        body,
        request: { signal },
      });
      await deps.sticky.save(state.id, state.comment_id, rows, state.rows);
      return { outcome: "succeeded", ...commentFacts(response.status, response.data) };
    } catch (error) {
      if (githubErrorStatus(error) !== 404) {
        if (invalidatesInstallation(error)) deps.clients.forget(owner, repo);
        return githubErrorResult(error, `editing comment ${state.comment_id} on #${number}`);
      }
      // Someone deleted the comment: start over with a new one.
      await deps.sticky.forgetComment(state.id);
    }
  }

  if (!(await deps.sticky.claimCreation(state.id))) {
    return {
      outcome: "retry",
      error: "another delivery is creating the comment",
      retryAfterMs: CREATION_RACE_RETRY_MS,
    };
  }
  let action = "finding the app's login";
  try {
    const login = await deps.clients.appLogin();
    action = `looking for the Shipcast comment on #${number}`;
    const existing = await findOwnComment(octokit, repository, number, login, signal);
    let result: { status: number; data: { id: number; html_url?: string } } | undefined;
    if (existing !== undefined) {
      action = `editing comment ${existing} on #${number}`;
      result = await octokit.rest.issues
        .updateComment({ owner, repo, comment_id: existing, body, request: { signal } })
        .catch((error: unknown) => {
          // Deleted between the listing and the edit: create a new one below.
          if (githubErrorStatus(error) === 404) return undefined;
          throw error;
        });
    }
    if (result === undefined) {
      action = `creating the comment on #${number}`;
      result = await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: number,
        body,
        request: { signal },
      });
    }
    await deps.sticky.save(state.id, String(result.data.id), rows, state.rows);
    return { outcome: "succeeded", ...commentFacts(result.status, result.data) };
  } catch (error) {
    await deps.sticky.releaseCreation(state.id).catch(() => undefined);
    if (invalidatesInstallation(error)) deps.clients.forget(owner, repo);
    return githubErrorResult(error, action);
  }
}
