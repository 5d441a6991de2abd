import type { DeployEvent, RepositoryRef } from "../../events/deploy-event.js";

/**
 * The GitLab repository an event is about, or why the GitLab outputs have nothing to do with
 * it. `origins`, when given, are the web origins of the instance the client talks to: project
 * ids only mean something on their own instance.
 */
export function gitlabRepositoryOf(
  event: DeployEvent,
  origins: readonly string[] | undefined,
): { repository: RepositoryRef } | { reason: string } {
  const repository = event.project.repository;
  if (repository?.host !== "gitlab") return { reason: "the event names no GitLab repository" };
  if (origins !== undefined && !origins.includes(repository.origin)) {
    return { reason: `the repository is on ${repository.origin}, not on the configured GitLab` };
  }
  return { repository };
}

/** The GitLab repository and commit an event is about, or why not (see `gitlabRepositoryOf`). */
export function gitlabTargetOf(
  event: DeployEvent,
  origins: readonly string[] | undefined,
): { repository: RepositoryRef; sha: string } | { reason: string } {
  const found = gitlabRepositoryOf(event, origins);
  if ("reason" in found) return found;
  const sha = event.commit?.sha;
  if (sha === undefined || sha === "") return { reason: "the event names no commit" };
  return { repository: found.repository, sha };
}
