/**
 * The `build-hook` notifier: the delivery of a `build.requested` event to its hook's own target
 * starts the build. It loads the hook (its target with secrets in clear), takes the ref the event
 * announced (chosen when the trigger was accepted) and hands the target to the starter of its
 * type. The delivery engine gives it what every delivery has: durability, retries on the
 * engine's schedule, an attempt log with request and answer, and a resend.
 *
 * A hook deleted since its trigger fails the delivery; a hook disabled since is skipped (a kill
 * switch: nothing more is started).
 */
import { z } from "zod";
import type { DeployEvent } from "../../events/deploy-event.js";
import {
  BUILD_HOOK_KIND,
  type BuildHookSettings,
  type BuildStarter,
  type GithubWorkflowTarget,
  type GitlabPipelineTarget,
  type UrlTarget,
} from "../../notifiers/kit/build-hook.js";
import { defineNotifier, type Notifier } from "../../notifiers/kit/notifier.js";
import type { StoredBuildHook } from "./build-hook-codec.js";

/** What the notifier needs: the hooks, and a starter per target type. */
export interface BuildHookNotifierDeps {
  /** The hook with its secrets; undefined once deleted. */
  load(id: string): Promise<StoredBuildHook | undefined>;
  /** Undefined when the GitHub App is not configured: such targets fail, saying so. */
  github?: BuildStarter<GithubWorkflowTarget>;
  gitlab: BuildStarter<GitlabPipelineTarget>;
  url: BuildStarter<UrlTarget>;
}

/**
 * Each trigger is its own subject: triggers of one hook start independently, so one that is being
 * retried does not hold back the next.
 */
function subject(event: DeployEvent): string {
  return `build-hook|${event.ids.trigger ?? event.occurredAt}`;
}

/** Creates the `build-hook` notifier. */
export function buildHookNotifier(deps: BuildHookNotifierDeps): Notifier<BuildHookSettings> {
  return defineNotifier<BuildHookSettings>({
    kind: BUILD_HOOK_KIND,
    settings: z.strictObject({ hook: z.string() }),
    subject,
    accepts: (event) => event.kind === "build.requested" && event.build !== undefined,
    // Every trigger starts a build: none is superseded by a later one.
    everyEvent: true,
    async deliver(settings, context) {
      let hook: StoredBuildHook | undefined;
      try {
        hook = await deps.load(settings.hook);
      } catch (error) {
        return {
          outcome: "retry",
          error: `could not load build hook ${settings.hook}: ${(error as Error).message}`,
        };
      }
      if (hook === undefined) {
        return { outcome: "failed", error: `build hook ${settings.hook} was deleted` };
      }
      if (!hook.enabled) {
        return { outcome: "skipped", reason: `build hook ${hook.id} is disabled` };
      }
      const ref = context.event.build?.ref;
      const { target } = hook;
      switch (target.type) {
        case "github_workflow":
          if (deps.github === undefined) {
            return {
              outcome: "failed",
              error: "GitHub Actions targets need the GitHub App: set APP_ID and PRIVATE_KEY",
            };
          }
          return deps.github({ ...target, ref: ref ?? target.ref }, context);
        case "gitlab_pipeline":
          return deps.gitlab({ ...target, ref: ref ?? target.ref }, context);
        case "url":
          return deps.url(ref === undefined ? target : { ...target, ref }, context);
        default:
          return {
            outcome: "failed",
            error: `unknown target type ${JSON.stringify((target as { type: unknown }).type)}`,
          };
      }
    },
  });
}
