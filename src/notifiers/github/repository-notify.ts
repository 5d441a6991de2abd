/**
 * The repository's own `notify` list: `.github/shipcast.yml` may name server-side targets to
 * notify about the repository's deploys too. Reading that file needs the GitHub API, which the
 * planner must not call (it runs inside the ingest transaction), so the planner writes one
 * internal delivery of this kind per event with a GitHub repository and a commit; this notifier
 * reads the file (through the cache the status and comment outputs share) and answers the names
 * as `followUps`, which the planner turns into deliveries of the same event.
 *
 * It sends nothing itself, and it is independent of the default outputs: turning commit
 * statuses off (in `shipcast.yml` or in the repository's file) leaves `notify` working.
 */
import { z } from "zod";
import { DEFAULT_OUTPUT_KINDS } from "../kit/default-outputs.js";
import { defineNotifier, hasCommitOn, type Notifier } from "../kit/notifier.js";
import { type GithubClients, githubRepositoryOf } from "./github-clients.js";
import { githubErrorResult, invalidatesInstallation } from "./github-errors.js";
import {
  appliesTo,
  REPOSITORY_SETTINGS_PATH,
  type RepositorySettingsCache,
} from "./repository-settings.js";

/** The kind of the internal delivery (and the name of its one, built-in target). */
export const REPOSITORY_NOTIFY_KIND = "github-repository-notify";

/** What the notifier needs: the app's clients and the shared repository-settings cache. */
export interface RepositoryNotifyDeps {
  clients: GithubClients;
  settingsCache: RepositorySettingsCache;
}

/**
 * Creates the notifier. Its result names the targets (`followUps`) in the order of the file,
 * without the default outputs (which a repository turns on and off with its own keys).
 */
export function repositoryNotifyNotifier(
  deps: RepositoryNotifyDeps,
): Notifier<Record<string, never>> {
  const { clients, settingsCache } = deps;
  return defineNotifier<Record<string, never>>({
    kind: REPOSITORY_NOTIFY_KIND,
    settings: z.strictObject({}),
    accepts: hasCommitOn("github"),
    // Every event's list must be read: a newer event's reading says nothing about an older one.
    everyEvent: true,
    async deliver(_settings, { event }) {
      const found = githubRepositoryOf(event, clients);
      if ("reason" in found) return { outcome: "skipped", reason: found.reason };
      const { owner, repo, fullPath } = found.repository;
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
        // Permanent: the same file gives the same problem until someone fixes it. The commit
        // status output also reports it on the commit.
        if (!read.ok) return { outcome: "failed", error: read.problem };
        if (!appliesTo(read.settings, event)) {
          return {
            outcome: "skipped",
            reason: `environment ${event.environment.name} (${event.environment.type}) is not in the environments of ${REPOSITORY_SETTINGS_PATH}`,
          };
        }
        const names = read.settings.notify.filter(
          (name) => !(DEFAULT_OUTPUT_KINDS as readonly string[]).includes(name),
        );
        if (names.length === 0) {
          return {
            outcome: "skipped",
            reason: `no targets under notify in ${REPOSITORY_SETTINGS_PATH}`,
          };
        }
        return {
          outcome: "succeeded",
          response: JSON.stringify({ notify: names }),
          followUps: names,
        };
      } catch (error) {
        if (invalidatesInstallation(error)) clients.forget(owner, repo);
        return githubErrorResult(error, action);
      }
    },
  });
}
