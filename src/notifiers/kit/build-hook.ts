/**
 * What the build-hook pieces share across floors: the kind of the delivery that starts a hook's
 * build, the prefix of hook ids (which are that delivery's target names), the three targets a
 * hook can start, and the contract each provider's starter implements.
 *
 * The planner writes one `build-hook` delivery per `build.requested` event, to the hook's id;
 * the `build-hook` notifier (services/build-hooks) loads the hook, secrets included, and hands
 * its target to the starter of its type: `notifiers/github/workflow-dispatch.ts`,
 * `notifiers/gitlab/pipeline-trigger.ts` or `notifiers/webhook/build-hook-url.ts`.
 */
import type { AttemptResult, DeliveryContext } from "./notifier.js";

/** Kind of the delivery that starts a build hook's build. */
export const BUILD_HOOK_KIND = "build-hook";

/** Prefix of build hook ids (`bhk_…`); a hook's id is the target name of its deliveries. */
export const BUILD_HOOK_ID_PREFIX = "bhk_";

/** The settings of a `build-hook` delivery's target: which hook. */
export interface BuildHookSettings {
  hook: string;
}

/** A GitHub Actions workflow, started with `workflow_dispatch` through the app's installation. */
export interface GithubWorkflowTarget {
  type: "github_workflow";
  /** `owner/repo` on the GitHub the app serves. */
  repository: string;
  /** The workflow's file name (`deploy.yml`) or numeric id. */
  workflow: string;
  /** Branch or tag to run the workflow on. */
  ref: string;
  /** `workflow_dispatch` inputs. */
  inputs: Record<string, string>;
}

/** A GitLab pipeline, created with `GITLAB_TOKEN` or through a pipeline trigger token. */
export interface GitlabPipelineTarget {
  type: "gitlab_pipeline";
  /** Numeric project id or full path (`group/sub/project`) on `GITLAB_URL`. */
  project: string;
  ref: string;
  /** Pipeline variables. */
  variables: Record<string, string>;
  /** A pipeline trigger token (`glptt-…`): a secret. Without one, `GITLAB_TOKEN` is used. */
  trigger_token?: string;
}

/** Any URL, POSTed the `build.requested` event and signed like outgoing webhooks. */
export interface UrlTarget {
  type: "url";
  url: string;
  /** The ref the event announces (a URL target has none of its own); optional. */
  ref?: string;
  headers: Record<string, string>;
  /** HMAC secret: `X-Hub-Signature-256`. */
  secret?: string;
  /** Netlify-style JWS secret: `X-Nf-Sign`. */
  jws_secret?: string;
  /** Standard Webhooks secrets (`whsec_…`). */
  standard_webhooks_secret?: string[];
  ssl_verification: boolean;
}

/** What a build hook can start. */
export type BuildHookTarget = GithubWorkflowTarget | GitlabPipelineTarget | UrlTarget;

/**
 * Starts one build on one kind of target: `target` has its secrets in clear and the ref to build
 * already chosen (the hook's own, or the trigger's branch where allowed). Like a notifier's
 * `deliver`, it never throws: every failure is classified as `retry` or `failed`, and the
 * request facts it returns have their secrets redacted.
 */
export type BuildStarter<T extends BuildHookTarget> = (
  target: T,
  context: DeliveryContext,
) => Promise<AttemptResult>;
