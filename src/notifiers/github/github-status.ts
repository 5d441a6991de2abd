/**
 * The `github-status` notifier: a commit status on the deployed commit (REFERENCE.md, "Outputs":
 * GitHub commit status), posted as the Shipcast GitHub App's installation on the repository.
 *
 * The repository's `.github/shipcast.yml` can turn statuses off, limit them to some
 * environments and name their context. A broken file is reported where its owners look: an
 * `error` status `shipcast/config` on the commit, naming the problem.
 */
import { z } from "zod";
import type { DeployEvent, EventKind } from "../../events/deploy-event.js";
import { isHttpUrl } from "../../outbound/http-facts.js";
import { defaultSubject, defineNotifier, hasCommitOn, type Notifier } from "../kit/notifier.js";
import { statusContext, statusDescription, truncateDescription } from "../kit/status-context.js";
import { type GithubClients, githubRepositoryOf, installationClient } from "./github-clients.js";
import { githubErrorResult, invalidatesInstallation } from "./github-errors.js";
import {
  appliesTo,
  REPOSITORY_SETTINGS_PATH,
  type RepositorySettingsCache,
} from "./repository-settings.js";

/** Settings of a `github-status` target. */
export interface GithubStatusSettings {
  /**
   * Template of the status context for this target (`{environment}`, `{environment_type}`,
   * `{project}`); it takes precedence over the repository's `status_context`.
   */
  context?: string | undefined;
}

/** What the notifier needs: the app's clients and the shared repository-settings cache. */
export interface GithubStatusDeps {
  clients: GithubClients;
  settingsCache: RepositorySettingsCache;
}

/** The context of the status that reports a broken `.github/shipcast.yml`. */
export const CONFIG_STATUS_CONTEXT = "shipcast/config";

type CommitState = "pending" | "success" | "failure" | "error";

/** Event kind → commit status state; the kinds missing here get no status. */
const STATES: Partial<Record<EventKind, CommitState>> = {
  "deploy.started": "pending",
  "deploy.succeeded": "success",
  "deploy.failed": "failure",
  "deploy.cancelled": "error",
};

const settingsSchema = z
  .object({
    context: z.string().trim().min(1, "must not be empty").optional(),
  })
  .strict();

/**
 * The status's link: the deployed site once it is up, the build log otherwise (that is where a
 * failure is explained), else whichever http(s) URL the event has.
 */
export function statusTargetUrl(event: DeployEvent): string | undefined {
  const { deploy, logs, admin } = event.urls;
  const candidates =
    event.kind === "deploy.succeeded" ? [deploy, logs, admin] : [logs, deploy, admin];
  return candidates.find(isHttpUrl);
}

/** Statuses of one commit and environment are one subject: they must land in order. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  const sha = event.commit?.sha;
  if (repository?.host !== "github" || !sha) return defaultSubject(event);
  return `github|${repository.fullPath}|${sha}|${event.environment.name}`;
}

/**
 * Creates the `github-status` notifier. Share `deps.settingsCache` with the `github-comment`
 * notifier so that one event reads `.github/shipcast.yml` once.
 */
export function githubStatusNotifier(deps: GithubStatusDeps): Notifier<GithubStatusSettings> {
  const { clients, settingsCache } = deps;
  return defineNotifier<GithubStatusSettings>({
    kind: "github-status",
    settings: settingsSchema,
    subject,
    accepts: hasCommitOn("github"),
    async deliver(settings, context) {
      const { event, signal } = context;
      const found = githubRepositoryOf(event, clients);
      if ("reason" in found) return { outcome: "skipped", reason: found.reason };
      const { owner, repo, fullPath } = found.repository;
      const sha = event.commit?.sha;
      if (!sha) return { outcome: "skipped", reason: "the event names no commit" };
      const state = STATES[event.kind];
      if (state === undefined) {
        return { outcome: "skipped", reason: `no commit status for ${event.kind}` };
      }

      let action = "looking up the app's installation";
      try {
        const octokit = await installationClient(clients, found.repository);
        if ("outcome" in octokit) return octokit;

        action = `reading ${REPOSITORY_SETTINGS_PATH}`;
        const read = await settingsCache.read(octokit, owner, repo);
        if (!read.ok) {
          action = "posting the shipcast/config error status";
          const fileUrl = `${found.repository.origin}/${fullPath}/blob/HEAD/${REPOSITORY_SETTINGS_PATH}`;
          await octokit.rest.repos.createCommitStatus({
            owner,
            repo,
            sha,
            state: "error",
            context: CONFIG_STATUS_CONTEXT,
            description: truncateDescription(read.problem),
            // Only the repository's own file can be linked; an inherited one lives elsewhere.
            ...(read.problem.startsWith(`${REPOSITORY_SETTINGS_PATH}:`)
              ? { target_url: fileUrl }
              : {}),
            request: { signal },
          });
          // Permanent: the same file gives the same problem until someone fixes it.
          return { outcome: "failed", error: read.problem };
        }
        const repositorySettings = read.settings;
        if (!appliesTo(repositorySettings, event)) {
          return {
            outcome: "skipped",
            reason: `environment ${event.environment.name} (${event.environment.type}) is not in the environments of ${REPOSITORY_SETTINGS_PATH}`,
          };
        }
        // The repository's `notify` targets are not this output's business: the planner reads
        // them through their own delivery (`repository-notify.ts`), whether statuses are on or not.
        if (!repositorySettings.statuses) {
          return {
            outcome: "skipped",
            reason: `commit statuses are off in ${REPOSITORY_SETTINGS_PATH}`,
          };
        }

        action = "creating the commit status";
        const template = settings.context ?? repositorySettings.status_context;
        const targetUrl = statusTargetUrl(event);
        const response = await octokit.rest.repos.createCommitStatus({
          owner,
          repo,
          sha,
          state,
          context: statusContext(template, event),
          description: truncateDescription(statusDescription(event)),
          ...(targetUrl === undefined ? {} : { target_url: targetUrl }),
          request: { signal },
        });
        const { id, state: posted, context: name, target_url } = response.data;
        return {
          outcome: "succeeded",
          httpStatus: response.status,
          response: JSON.stringify({ id, state: posted, context: name, target_url }),
        };
      } catch (error) {
        if (invalidatesInstallation(error)) clients.forget(owner, repo);
        return githubErrorResult(error, action);
      }
    },
  });
}
