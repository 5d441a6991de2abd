/**
 * The `gitlab-status` notifier: sets a commit status on the deployed commit (REFERENCE.md,
 * "Outputs": GitLab commit status), so the deploy shows in the commit's and the merge request's
 * pipeline widget. One status per environment: its name comes from a template.
 */
import type { CommitablePipelineStatus } from "@gitbeaker/rest";
import { z } from "zod";
import type { DeployEvent, EventKind } from "../../events/deploy-event.js";
import { defaultSubject, defineNotifier, hasCommitOn, type Notifier } from "../kit/notifier.js";
import { DEFAULT_STATUS_CONTEXT, statusContext, statusDescription } from "../kit/status-context.js";
import { type GitlabApi, withAttemptSignal } from "./gitlab-client.js";
import { gitlabAnswer, gitlabErrorResult } from "./gitlab-errors.js";
import { gitlabTargetOf } from "./gitlab-target.js";

/** Settings of a `gitlab-status` target. */
export interface GitlabStatusSettings {
  /** Status name template (`{environment}`, `{environment_type}`, `{project}`). */
  name?: string;
}

const settingsSchema = z.object({ name: z.string().optional() }).strict();

/** The commit status state per event kind; other kinds set no status. */
const STATES: Partial<Record<EventKind, CommitablePipelineStatus>> = {
  "deploy.started": "running",
  "deploy.succeeded": "success",
  "deploy.failed": "failed",
  "deploy.cancelled": "canceled",
};

/** GitLab's 400 for a status already in the asked state (`via :run from :running`). */
const SAME_STATE = /Cannot transition status via :\w+ from :(\w+)/;

const ACTION = "setting the GitLab commit status";

/** Dependencies of the `gitlab-status` notifier. */
export interface GitlabStatusDeps {
  gitlab: Pick<GitlabApi, "Commits">;
  /**
   * Web origins of the instance the client talks to. When given, an event whose repository is
   * on another origin is skipped: project ids and paths are only meaningful on their own
   * instance. Unset, every GitLab repository is taken to live on the client's instance.
   */
  origins?: readonly string[];
}

function httpUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Where the status links to: the deployed site once it is up, else the job log. */
function targetUrl(event: DeployEvent): string | undefined {
  const logs = httpUrl(event.urls.logs);
  return event.kind === "deploy.succeeded" ? (httpUrl(event.urls.deploy) ?? logs) : logs;
}

/** `gitlab|<fullPath>|<sha>|<environment>`: one status per commit and environment. */
function subject(event: DeployEvent): string {
  const repository = event.project.repository;
  if (repository?.host !== "gitlab") return defaultSubject(event);
  return ["gitlab", repository.fullPath, event.commit?.sha ?? "", event.environment.name].join("|");
}

/**
 * Creates the `gitlab-status` notifier. `deps.gitlab` is the client from `createGitlabClient`
 * (token scope `api`, Developer role on the projects).
 */
export function gitlabStatusNotifier(deps: GitlabStatusDeps): Notifier<GitlabStatusSettings> {
  return defineNotifier<GitlabStatusSettings>({
    kind: "gitlab-status",
    settings: settingsSchema,
    subject,
    accepts: hasCommitOn("gitlab"),
    async deliver(settings, context) {
      const { event } = context;
      const target = gitlabTargetOf(event, deps.origins);
      if ("reason" in target) return { outcome: "skipped", reason: target.reason };
      const { repository, sha } = target;
      const state = STATES[event.kind];
      if (state === undefined) {
        return { outcome: "skipped", reason: `no commit status for ${event.kind}` };
      }
      const projectId = repository.id ?? repository.fullPath;
      const url = targetUrl(event);
      const options = {
        name: statusContext(settings.name ?? DEFAULT_STATUS_CONTEXT, event),
        description: statusDescription(event),
        ...(url === undefined ? {} : { targetUrl: url }),
        ...(event.commit?.ref ? { ref: event.commit.ref } : {}),
      };
      try {
        await withAttemptSignal(context.signal, () =>
          deps.gitlab.Commits.editStatus(projectId, sha, state, options),
        );
        return { outcome: "succeeded" };
      } catch (error) {
        // A redelivered `running` finds the status running already: GitLab refuses the
        // transition, but the status shows what was asked.
        const answer = gitlabAnswer(error);
        if (answer?.status === 400 && SAME_STATE.exec(answer.message)?.[1] === state) {
          return { outcome: "succeeded", httpStatus: 400, response: `already ${state}` };
        }
        return gitlabErrorResult(error, ACTION);
      }
    },
  });
}
