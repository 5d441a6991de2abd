/**
 * The one event model every source is normalized into (see DESIGN.md, "The event model").
 *
 * This module knows nothing but itself: sources build `DeployEvent`s, routing and notifiers
 * read them. It is also the body of Shipcast's own outgoing webhooks, so changes are additive.
 */

/** Version of the `DeployEvent` shape; bump on any incompatible change. */
export const DEPLOY_EVENT_SCHEMA_VERSION = 1;

export const DEPLOY_EVENT_KINDS = [
  "deploy.started",
  "deploy.succeeded",
  "deploy.failed",
  "deploy.cancelled",
  "deploy.locked",
  "deploy.unlocked",
  "form.submitted",
  "build.requested",
] as const;
export type DeployEventKind = (typeof DEPLOY_EVENT_KINDS)[number];

/**
 * Shipcast's own events about a notification's delivery health (auto-disable that heals). They
 * go to the routing file's `alerts` targets only, never through routes.
 */
export const ALERT_EVENT_KINDS = [
  "notification.paused",
  "notification.disabled",
  "notification.recovered",
] as const;
export type AlertEventKind = (typeof ALERT_EVENT_KINDS)[number];

/**
 * Events about a pull/merge request itself rather than one of its deploys: `change.closed` when
 * it is closed or merged. Like health alerts they are never routed by routes or filters: the
 * planner sends them only to the sticky-comment outputs, which mark their comment closed.
 *
 * A `change.closed` event has `change` (`number`, `url`), `project` (named after the
 * repository, with `project.repository`), `commit.sha` (the head commit, when the source tells
 * it), `environment: { name: "-", type: "PREVIEW" }` (a pull/merge request has no environment of
 * its own; `-` is what views print for "none", and PREVIEW is the type its deploys have),
 * `urls: {}`, the closer as `actor`, and `occurredAt` the time it was closed.
 */
export const CHANGE_EVENT_KINDS = ["change.closed"] as const;
export type ChangeEventKind = (typeof CHANGE_EVENT_KINDS)[number];

/** The environment of events that are about no deploy (`change.*`). */
export const NO_ENVIRONMENT = { name: "-", type: "PREVIEW" } as const;

/** Every `kind` a `DeployEvent` may have. */
export type EventKind = DeployEventKind | AlertEventKind | ChangeEventKind;

export const EVENT_SOURCES = [
  "github",
  "gitlab",
  "netlify",
  "bitrise",
  "qovery",
  "generic",
  "shipcast",
] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** The four environment types (Qovery's); every source's notion is mapped onto them. */
export const ENVIRONMENT_TYPES = ["PRODUCTION", "STAGING", "DEVELOPMENT", "PREVIEW"] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

/** A repository a deploy was built from, on a code host Shipcast can write to. */
export interface RepositoryRef {
  /** Which API serves it. */
  host: "github" | "gitlab";
  /** Web origin of the host, e.g. `https://github.com` or `https://gitlab.example.com`. */
  origin: string;
  /** `owner/repo` on GitHub, `group/sub/project` on GitLab. */
  fullPath: string;
  /** Numeric repository/project id, where the source tells it. */
  id?: number;
  /** Web URL of the repository. */
  url?: string;
}

export interface DeployEvent {
  /** Schema version of this object. */
  schemaVersion: typeof DEPLOY_EVENT_SCHEMA_VERSION;
  kind: EventKind;
  source: EventSource;
  /** The provider's own event name (`deployment_status`, `Deployment Hook`, `deploy_failed`). */
  sourceEvent: string;
  project: {
    /** Site, app or project name as the source calls it. */
    name: string;
    /** The source's own id for it (Netlify site id, GitLab project id, GitHub repository id). */
    id?: string;
    repository?: RepositoryRef;
  };
  environment: {
    /** Name as the source says it (`production`, `staging`, `deploy-preview`). */
    name: string;
    type: EnvironmentType;
  };
  commit?: {
    /** Full sha when known (always 40 hex characters for git). */
    sha?: string;
    /** Branch or ref the deploy was built from. */
    ref?: string;
    url?: string;
    /** Commit title / deploy title. */
    message?: string;
  };
  /** The pull or merge request a preview deploy belongs to (or, `change.*`, the event is about). */
  change?: {
    number: number;
    url?: string;
  };
  urls: {
    /** The deployed site. */
    deploy?: string;
    /** The build or job log. */
    logs?: string;
    /** The provider's admin page for the project or deploy. */
    admin?: string;
  };
  /** Error message on failure. */
  error?: string;
  /** Who triggered the deploy. */
  actor?: string;
  /** Source time of this state, ISO 8601. */
  occurredAt: string;
  /** Ids that correlate the events of one deploy. */
  ids: {
    /** The provider's deploy / deployment / pipeline id. */
    deploy?: string;
    /** Netlify build id, GitLab job id, GitHub deployment status id… */
    [key: string]: string | undefined;
  };
  /** Form submissions only (`form.submitted`). */
  form?: {
    name: string;
    fields: Record<string, unknown>;
  };
  /** Health alerts only (`notification.*`, source `shipcast`): what changed, and why. */
  alert?: HealthAlert;
  /** Build requests only (`build.requested`, source `shipcast`): which hook asked for what. */
  build?: BuildRequest;
}

/** What a build hook was asked to start (`build.requested`). Secrets are never part of it. */
export interface BuildRequest {
  /** The build hook that was POSTed to: its public id (never its URL) and title. */
  hook: { id: string; title: string };
  /** `trigger_title` of the request, when it gave one. */
  title?: string;
  /** The ref built: the hook's own, or `trigger_branch` where the hook allows that. */
  ref?: string;
  /** What the hook starts, without its secrets. */
  target: {
    /** `github_workflow`, `gitlab_pipeline` or `url`. */
    type: "github_workflow" | "gitlab_pipeline" | "url";
    /** GitHub `owner/repo` (github_workflow). */
    repository?: string;
    /** Workflow file name or id (github_workflow). */
    workflow?: string;
    /** GitLab project path or id (gitlab_pipeline). */
    project?: string;
    /** Scheme, host and port of the URL (url); its path and query may hold credentials. */
    origin?: string;
  };
}

/** A change of a notification's delivery health, as announced to the `alerts` targets. */
export interface HealthAlert {
  notification: {
    id: string;
    /** Notifier kind (`webhook`, `slack`, `email`). */
    kind: string;
    description: string;
  };
  /** `active` again, `paused` until `disabledUntil`, or `disabled` until re-enabled. */
  state: "active" | "paused" | "disabled";
  reason: string;
  consecutiveFailures: number;
  /** End of the pause, ISO 8601. */
  disabledUntil?: string;
}

/** What a normalizer returns when the input is valid but not an event Shipcast uses. */
export interface Ignored {
  ignored: true;
  reason: string;
}

export type NormalizeResult = DeployEvent | Ignored;

export function ignored(reason: string): Ignored {
  return { ignored: true, reason };
}

export function isIgnored(result: NormalizeResult): result is Ignored {
  return (result as Ignored).ignored === true;
}

/** Raised by a normalizer when the input is malformed (missing required fields, wrong types). */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

/**
 * Input of every normalizer: the request headers (lower-case names) and the JSON payload as
 * stored (parsed; for GitHub's form-encoded deliveries, the decoded `payload` field).
 * Normalizers are pure: same input, same output, no I/O.
 */
export interface NormalizeInput {
  headers: Record<string, string>;
  payload: unknown;
  /**
   * When Shipcast received the delivery (ISO 8601): the `occurredAt` of events whose source
   * sends no time of its own (Bitrise, some Qovery events, generic reports without one).
   */
  receivedAt?: string;
}

/**
 * What a normalizer needs to know of the deployment it runs in, passed in so it stays pure:
 * which web hosts are GitHub (github.com plus `GHE_HOST`) and which are GitLab (gitlab.com plus
 * the host of `GITLAB_URL`). A repository URL on neither is classified by its shape.
 */
export interface NormalizeOptions {
  githubHosts: string[];
  gitlabHosts: string[];
}

export const DEFAULT_NORMALIZE_OPTIONS: NormalizeOptions = {
  githubHosts: ["github.com"],
  gitlabHosts: ["gitlab.com"],
};
