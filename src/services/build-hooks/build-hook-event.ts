/**
 * The `build.requested` event of one trigger: pure, from the hook and the request's choices. It
 * routes like any other event (project, environment, branch), so it names the project the hook
 * builds and the ref it builds; it never carries a secret, the hook's URL or its inputs and
 * variables (they stay with the hook, which the `build-hook` delivery loads).
 */
import type { BuildRequest, DeployEvent, RepositoryRef } from "../../events/deploy-event.js";
import type { BuildHookTarget } from "../../notifiers/kit/build-hook.js";
import { DEFAULT_ENVIRONMENT, type StoredBuildHook } from "./build-hook-codec.js";

/** The `sourceEvent` of every build request. */
export const BUILD_HOOK_SOURCE_EVENT = "build_hook";

/** Web origins of the code hosts, for the repository a hook's target builds. */
export interface CodeHostOrigins {
  /** The GitHub the app serves, e.g. `https://github.com`. */
  github: string;
  /** `GITLAB_URL`'s origin. */
  gitlab: string;
}

export interface BuildRequestInput {
  /** The event's id, which is the trigger's id. */
  eventId: string;
  hook: Pick<StoredBuildHook, "id" | "title" | "target" | "project" | "environment">;
  /** The ref to build: the target's, or the trigger's branch where the hook allows it. */
  ref: string | undefined;
  /** `?trigger_title=`. */
  title: string | undefined;
  now: Date;
  origins: CodeHostOrigins;
}

/** The `build.requested` event of a trigger. */
export function buildRequestedEvent(input: BuildRequestInput): DeployEvent {
  const { hook, ref, title, origins } = input;
  const { project, target, admin } = describeTarget(hook.target, origins);
  const build: BuildRequest = { hook: { id: hook.id, title: hook.title }, target };
  if (title !== undefined) build.title = title;
  if (ref !== undefined) build.ref = ref;
  const event: DeployEvent = {
    schemaVersion: 1,
    kind: "build.requested",
    source: "shipcast",
    sourceEvent: BUILD_HOOK_SOURCE_EVENT,
    project: hook.project === null ? project : { ...project, name: hook.project },
    environment: hook.environment ?? { ...DEFAULT_ENVIRONMENT },
    urls: admin === undefined ? {} : { admin },
    actor: `build hook ${hook.title}`,
    occurredAt: input.now.toISOString(),
    ids: { trigger: input.eventId, buildHook: hook.id },
    build,
  };
  if (ref !== undefined || title !== undefined) {
    event.commit = {};
    if (ref !== undefined) event.commit.ref = ref;
    if (title !== undefined) event.commit.message = title;
  }
  return event;
}

/** The project, the public description and the web page of what a target starts. */
function describeTarget(
  target: BuildHookTarget,
  origins: CodeHostOrigins,
): { project: DeployEvent["project"]; target: BuildRequest["target"]; admin?: string } {
  if (target.type === "github_workflow") {
    const origin = origins.github.replace(/\/+$/, "");
    const repository: RepositoryRef = {
      host: "github",
      origin,
      fullPath: target.repository,
      url: `${origin}/${target.repository}`,
    };
    const name = target.repository.split("/").at(-1) ?? target.repository;
    // The workflow's page, where its runs are listed (a numeric id has no such URL).
    const admin = /^\d+$/.test(target.workflow)
      ? `${repository.url}/actions`
      : `${repository.url}/actions/workflows/${encodeURIComponent(target.workflow)}`;
    return {
      project: { name, repository },
      target: { type: target.type, repository: target.repository, workflow: target.workflow },
      admin,
    };
  }
  if (target.type === "gitlab_pipeline") {
    const origin = origins.gitlab.replace(/\/+$/, "");
    const described = { type: target.type, project: target.project };
    if (/^\d+$/.test(target.project)) {
      return { project: { name: target.project, id: target.project }, target: described };
    }
    const url = `${origin}/${target.project}`;
    return {
      project: {
        name: target.project.split("/").at(-1) ?? target.project,
        repository: { host: "gitlab", origin, fullPath: target.project, url },
      },
      target: described,
      admin: `${url}/-/pipelines`,
    };
  }
  const { hostname, origin } = new URL(target.url);
  return { project: { name: hostname }, target: { type: target.type, origin } };
}
