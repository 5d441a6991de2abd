/**
 * The `github-comment` notifier: one comment per pull request, edited in place for every deploy
 * (REFERENCE.md, "Outputs": GitHub PR comment, updated in place). The comment shows one row per
 * project and environment; an event replaces its own row and leaves the others alone, and a
 * closed pull request (`change.closed`) gets its comment marked closed.
 *
 * The algorithm is the kit's sticky-comment engine; this module finds the pull request, reads
 * the repository's settings, and gives the engine its GitHub adapter (issue comments through the
 * app's installation client, found again by marker and the app's bot login).
 */
import { z } from "zod";
import type { DeployEvent } from "../../events/deploy-event.js";
import type { StickyKey } from "../../store/sticky-comments-repository.js";
import { STICKY_MARKER } from "../kit/deploy-table.js";
import { defaultSubject, defineNotifier, hasCommentOn, type Notifier } from "../kit/notifier.js";
import {
  closeStickyComment,
  type StickyAdapter,
  type StickyStore,
  updateStickyComment,
  type WrittenComment,
} from "../kit/sticky-comment.js";
import {
  type GithubClients,
  type GithubRepository,
  githubRepositoryOf,
  installationClient,
} from "./github-clients.js";
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
  sticky: StickyStore;
  settingsCache: RepositorySettingsCache;
}

type Octokit = NonNullable<Awaited<ReturnType<GithubClients["forRepository"]>>>;

/** The comments of one pull request go one at a time. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  if (repository?.host !== "github") return defaultSubject(event);
  if (event.change) return `github|${repository.fullPath}|#${event.change.number}`;
  const sha = event.commit?.sha;
  return sha ? `github|${repository.fullPath}|sha:${sha}` : defaultSubject(event);
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

/** A comment GitHub answered with, for the engine and the delivery log. */
function writtenComment(response: {
  status: number;
  data: { id: number; html_url?: string };
}): WrittenComment {
  const { id, html_url } = response.data;
  return {
    id: String(id),
    facts: { httpStatus: response.status, response: JSON.stringify({ id, html_url }) },
  };
}

/** The store's key of a pull request's comment. */
function stickyKey(repository: GithubRepository, number: number): StickyKey {
  return { provider: "github", repository: `${repository.origin}/${repository.fullPath}`, number };
}

/** The engine's GitHub side for pull request `number`, through the installation's client. */
function githubAdapter(
  octokit: Octokit,
  repository: GithubRepository,
  number: number,
  signal: AbortSignal,
  clients: GithubClients,
): StickyAdapter {
  const { owner, repo } = repository;
  return {
    noun: "comment",
    where: `#${number}`,
    changeName: "pull request",
    async edit(id, body) {
      const response = await octokit.rest.issues.updateComment({
        owner,
        repo,
        comment_id: Number(id),
        body,
        request: { signal },
      });
      return writtenComment(response);
    },
    async findOwn() {
      const login = await clients.appLogin();
      const id = await findOwnComment(octokit, repository, number, login, signal);
      return id === undefined ? undefined : String(id);
    },
    async create(body) {
      const response = await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: number,
        body,
        request: { signal },
      });
      return writtenComment(response);
    },
    isNotFound: (error) => githubErrorStatus(error) === 404,
    errorResult(error, action) {
      if (invalidatesInstallation(error)) clients.forget(owner, repo);
      return githubErrorResult(error, action);
    },
  };
}

/**
 * Creates the `github-comment` notifier. Share `deps.settingsCache` with the `github-status`
 * notifier so that one event reads `.github/shipcast.yml` once.
 */
export function githubCommentNotifier(deps: GithubCommentDeps): Notifier<GithubCommentSettings> {
  const { clients, settingsCache, sticky } = deps;

  /** Marks the pull request's comment closed; GitHub is only asked when there is one. */
  function close(repository: GithubRepository, number: number, signal: AbortSignal) {
    return closeStickyComment(sticky, stickyKey(repository, number), async () => {
      try {
        const octokit = await installationClient(clients, repository);
        if ("outcome" in octokit) return octokit;
        return githubAdapter(octokit, repository, number, signal, clients);
      } catch (error) {
        if (invalidatesInstallation(error)) clients.forget(repository.owner, repository.repo);
        return githubErrorResult(error, "looking up the app's installation");
      }
    });
  }

  return defineNotifier<GithubCommentSettings>({
    kind: "github-comment",
    settings: settingsSchema,
    subject,
    accepts: hasCommentOn("github"),
    async deliver(_settings, context) {
      const { event, signal } = context;
      const found = githubRepositoryOf(event, clients);
      if ("reason" in found) return { outcome: "skipped", reason: found.reason };
      const { repository } = found;
      const { owner, repo } = repository;
      if (event.kind === "change.closed") {
        if (event.change === undefined) {
          return { outcome: "skipped", reason: "the event names no pull request" };
        }
        return close(repository, event.change.number, signal);
      }
      const sha = event.commit?.sha;
      if (!sha) return { outcome: "skipped", reason: "the event names no commit" };
      if (event.kind === "form.submitted") {
        return { outcome: "skipped", reason: `no pull request comment for ${event.kind}` };
      }

      let action = "looking up the app's installation";
      try {
        const octokit = await installationClient(clients, repository);
        if ("outcome" in octokit) return octokit;

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
        const adapter = githubAdapter(octokit, repository, number, signal, clients);
        return await updateStickyComment(sticky, stickyKey(repository, number), adapter, event);
      } catch (error) {
        if (invalidatesInstallation(error)) clients.forget(owner, repo);
        return githubErrorResult(error, action);
      }
    },
  });
}
