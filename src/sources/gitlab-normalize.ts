/**
 * GitLab `Deployment Hook` and `Pipeline Hook` webhooks → `DeployEvent` (REFERENCE.md, "Mapping
 * to DeployEvent.kind"), and a merge request closed or merged (`Merge Request Hook`) →
 * `change.closed`. Pure: no I/O, same input same output.
 */
import {
  DEFAULT_NORMALIZE_OPTIONS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEvent,
  type DeployEventKind,
  type EnvironmentType,
  ignored,
  MalformedEventError,
  NO_ENVIRONMENT,
  type NormalizeInput,
  type NormalizeOptions,
  type NormalizeResult,
  type RepositoryRef,
} from "../events/deploy-event.js";
import { inferEnvironmentType } from "./environment-type.js";
import {
  getId,
  getNumber,
  getObject,
  getString,
  isCalendarDate,
  isJsonObject,
  type JsonObject,
  parseUrl,
  requireId,
  requireNumber,
  requireObject,
  requirePayloadObject,
  requireString,
  requireTimestamp,
  requireUrl,
  withMalformedContext,
} from "./json-access.js";

const DEPLOYMENT_HOOK = "Deployment Hook";
const PIPELINE_HOOK = "Pipeline Hook";
const MERGE_REQUEST_HOOK = "Merge Request Hook";

/** `object_kind` → hook name, for deliveries stored without the `X-Gitlab-Event` header. */
const HOOK_BY_OBJECT_KIND = new Map([
  ["deployment", DEPLOYMENT_HOOK],
  ["pipeline", PIPELINE_HOOK],
  ["merge_request", MERGE_REQUEST_HOOK],
]);

/** Merge request actions after which it takes no more deploys: its note says so. */
const CLOSING_ACTIONS = new Set(["close", "merge"]);

const DEPLOYMENT_STATUS_KINDS = new Map<string, DeployEventKind>([
  ["running", "deploy.started"],
  ["success", "deploy.succeeded"],
  ["failed", "deploy.failed"],
  ["canceled", "deploy.cancelled"],
]);

const PIPELINE_STATUS_KINDS = new Map<string, DeployEventKind>([
  ["pending", "deploy.started"],
  ["running", "deploy.started"],
  ["success", "deploy.succeeded"],
  ["failed", "deploy.failed"],
  ["canceled", "deploy.cancelled"],
]);

const TIER_TYPES = new Map<string, EnvironmentType>([
  ["production", "PRODUCTION"],
  ["staging", "STAGING"],
  ["testing", "DEVELOPMENT"],
  ["development", "DEVELOPMENT"],
]);

const FULL_SHA = /^[0-9a-f]{40}$/i;

/** `2021-04-28 21:50:00 +0200`, `2016-08-12 15:23:28 UTC`, and ISO 8601 forms. */
const GITLAB_TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})$/i;

/**
 * Normalizes a GitLab webhook delivery. Deployment and pipeline hooks can become deploy events,
 * and a merge request hook whose action is `close` or `merge` becomes `change.closed`; every
 * other hook is ignored rather than rejected, because GitLab disables a hook whose deliveries
 * keep failing.
 *
 * Options are accepted for a uniform normalizer signature; GitLab's own payload always names a
 * GitLab project, so host classification is not needed here.
 *
 * @throws MalformedEventError when the event cannot be named or a deploy payload lacks fields.
 */
export function normalizeGitlab(
  input: NormalizeInput,
  _options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const payload = requirePayloadObject(input.payload, "gitlab");
  const header = input.headers["x-gitlab-event"];
  const objectKind = getString(payload, "object_kind");
  const event =
    header !== undefined && header !== ""
      ? header
      : objectKind === undefined
        ? undefined
        : (HOOK_BY_OBJECT_KIND.get(objectKind) ?? objectKind);
  if (event === undefined) {
    throw new MalformedEventError("gitlab delivery has neither x-gitlab-event nor object_kind");
  }
  if (event === DEPLOYMENT_HOOK) {
    return withMalformedContext(`gitlab "${event}" event`, () => fromDeploymentHook(payload));
  }
  if (event === PIPELINE_HOOK) {
    return withMalformedContext(`gitlab "${event}" event`, () => fromPipelineHook(payload));
  }
  if (event === MERGE_REQUEST_HOOK) {
    return withMalformedContext(`gitlab "${event}" event`, () => fromMergeRequestHook(payload));
  }
  return ignored(`gitlab event "${event}" is not a deploy event`);
}

/**
 * Converts GitLab's webhook timestamps to ISO 8601 UTC. GitLab writes them in several styles
 * depending on the hook and version (`2021-04-28 21:50:00 +0200`, `2016-08-12 15:23:28 UTC`,
 * `2013-12-03T17:23:34Z`), none of which `Date.parse` is guaranteed to accept.
 *
 * @returns the `toISOString()` form, or undefined when the text is not a GitLab timestamp.
 */
export function gitlabTimestampToIso(value: string): string | undefined {
  const match = GITLAB_TIMESTAMP.exec(value.trim());
  if (match === null) return undefined;
  const [, date = "", time, zone = ""] = match;
  if (!isCalendarDate(date)) return undefined;
  const offset =
    zone.toUpperCase() === "Z" || zone.toUpperCase() === "UTC"
      ? "Z"
      : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const millis = Date.parse(`${date}T${time}${offset}`);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

function fromDeploymentHook(payload: JsonObject): NormalizeResult {
  const status = requireString(payload, "status", "");
  const project = readProject(payload);
  const environmentName = requireString(payload, "environment", "");
  const occurredAt = requireTimestamp(payload, ["status_changed_at"], "", gitlabTimestampToIso);
  const deployId = requireId(payload, "deployment_id", "");

  const kind = DEPLOYMENT_STATUS_KINDS.get(status);
  if (kind === undefined) return ignored(`gitlab deployment status "${status}" is not mapped`);

  const commitUrl = getString(payload, "commit_url");
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind,
    source: "gitlab",
    sourceEvent: DEPLOYMENT_HOOK,
    project,
    environment: {
      name: environmentName,
      type: tierType(getString(payload, "environment_tier"), environmentName),
    },
    commit: {
      sha: shaFromCommitUrl(commitUrl) ?? getString(payload, "short_sha"),
      ref: getString(payload, "ref"),
      url: commitUrl,
      message: getString(payload, "commit_title"),
    },
    urls: {
      deploy: getString(payload, "environment_external_url"),
      logs: getString(payload, "deployable_url"),
    },
    actor: usernameOf(payload),
    occurredAt,
    ids: { deploy: deployId, job: getId(payload, "deployable_id") },
  };
}

/** Job statuses of a deploy job that never ran: the pipeline's status says nothing of a deploy. */
const NOT_RUN_JOB_STATUSES = new Set(["skipped", "manual", "created"]);

function fromPipelineHook(payload: JsonObject): NormalizeResult {
  const attributes = requireObject(payload, "object_attributes", "");
  const pipelineId = requireId(attributes, "id", "object_attributes");
  const status = requireString(attributes, "status", "object_attributes");
  const project = readProject(payload);
  const occurredAt = requireTimestamp(
    attributes,
    ["finished_at", "created_at"],
    "object_attributes",
    gitlabTimestampToIso,
  );
  const builds = readBuilds(payload);

  const deployIndex = builds.findIndex(isDeployBuild);
  const deployBuild = builds[deployIndex];
  if (deployBuild === undefined) return ignored("gitlab pipeline has no deploy job");
  // A manual deploy job nobody ran leaves the pipeline green without deploying anything.
  const jobStatus = getString(deployBuild, "status");
  if (jobStatus !== undefined && NOT_RUN_JOB_STATUSES.has(jobStatus)) {
    const name = getString(deployBuild, "name") ?? "deploy";
    return ignored(`gitlab pipeline's deploy job "${name}" did not run (${jobStatus})`);
  }
  const kind = PIPELINE_STATUS_KINDS.get(status);
  if (kind === undefined) return ignored(`gitlab pipeline status "${status}" is not mapped`);

  const environment = requireObject(deployBuild, "environment", `builds[${deployIndex}]`);
  const environmentName = requireString(environment, "name", `builds[${deployIndex}].environment`);
  const commit = getObject(payload, "commit");
  const sha = getString(attributes, "sha") ?? (commit && getString(commit, "id"));
  if (sha === undefined) {
    throw new MalformedEventError("object_attributes.sha or commit.id must be a non-empty string");
  }
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind,
    source: "gitlab",
    sourceEvent: PIPELINE_HOOK,
    project,
    environment: {
      name: environmentName,
      type: tierType(getString(environment, "deployment_tier"), environmentName),
    },
    commit: {
      sha,
      ref: getString(attributes, "ref"),
      url: commit && getString(commit, "url"),
      message: commit && firstLine(getString(commit, "title") ?? getString(commit, "message")),
    },
    change: readMergeRequest(payload),
    urls: { logs: `${project.repository.url}/-/pipelines/${pipelineId}` },
    error: kind === "deploy.failed" ? failureReason(builds) : undefined,
    actor: usernameOf(payload),
    occurredAt,
    ids: { deploy: `pipeline:${pipelineId}`, job: getId(deployBuild, "id") },
  };
}

function fromMergeRequestHook(payload: JsonObject): NormalizeResult {
  const attributes = requireObject(payload, "object_attributes", "");
  const action = getString(attributes, "action");
  if (action === undefined || !CLOSING_ACTIONS.has(action)) {
    return ignored(`gitlab merge request action "${action ?? "(none)"}" is not handled`);
  }
  const iid = requireNumber(attributes, "iid", "object_attributes");
  const project = readProject(payload);
  const lastCommit = getObject(attributes, "last_commit");
  const sha = lastCommit && getString(lastCommit, "id");
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind: "change.closed",
    source: "gitlab",
    sourceEvent: MERGE_REQUEST_HOOK,
    project,
    environment: { ...NO_ENVIRONMENT },
    commit:
      sha === undefined ? undefined : { sha, url: lastCommit && getString(lastCommit, "url") },
    change: {
      number: iid,
      url: getString(attributes, "url") ?? `${project.repository.url}/-/merge_requests/${iid}`,
    },
    urls: {},
    actor: usernameOf(payload),
    occurredAt: requireTimestamp(
      attributes,
      ["updated_at", "created_at"],
      "object_attributes",
      gitlabTimestampToIso,
    ),
    ids: { mergeRequest: requireId(attributes, "id", "object_attributes") },
  };
}

/** A GitLab project always has a web URL, which the pipeline log link is built from. */
type ProjectWithRepository = DeployEvent["project"] & {
  repository: RepositoryRef & { url: string };
};

function readProject(payload: JsonObject): ProjectWithRepository {
  const project = requireObject(payload, "project", "");
  const webUrl = requireUrl(project, "web_url", "project");
  const id = requireNumber(project, "id", "project");
  return {
    name: requireString(project, "name", "project"),
    id: String(id),
    repository: {
      host: "gitlab",
      origin: webUrl.origin,
      fullPath: requireString(project, "path_with_namespace", "project"),
      id,
      url: webUrl.href.replace(/\/+$/, ""),
    },
  };
}

function readBuilds(payload: JsonObject): JsonObject[] {
  const builds = payload.builds;
  if (builds === undefined || builds === null) return [];
  if (!Array.isArray(builds)) {
    throw new MalformedEventError(`builds must be an array, got ${typeof builds}`);
  }
  return builds.filter(isJsonObject);
}

/** A job deploys when it starts an environment; `stop`, `prepare`, `verify` jobs do not. */
function isDeployBuild(build: JsonObject): boolean {
  const environment = getObject(build, "environment");
  if (environment === undefined || getString(environment, "name") === undefined) return false;
  const action = getString(environment, "action");
  return action === undefined || action === "start";
}

/** The tier is GitLab's own classification, so it wins; `other` or none falls back to the name. */
function tierType(tier: string | undefined, environmentName: string): EnvironmentType {
  return (
    (tier === undefined ? undefined : TIER_TYPES.get(tier.toLowerCase())) ??
    inferEnvironmentType(environmentName)
  );
}

/** The Deployment Hook only carries `short_sha`; the commit URL ends with the full one. */
function shaFromCommitUrl(commitUrl: string | undefined): string | undefined {
  const last = parseUrl(commitUrl)?.pathname.split("/").filter(Boolean).at(-1);
  return last !== undefined && FULL_SHA.test(last) ? last.toLowerCase() : undefined;
}

function readMergeRequest(payload: JsonObject): DeployEvent["change"] {
  const mergeRequest = getObject(payload, "merge_request");
  const iid = mergeRequest && getNumber(mergeRequest, "iid");
  if (mergeRequest === undefined || iid === undefined) return undefined;
  return { number: iid, url: getString(mergeRequest, "url") };
}

/** The first failed job's reason, the closest thing a pipeline hook has to an error message. */
function failureReason(builds: JsonObject[]): string | undefined {
  const failed = builds.find((build) => getString(build, "status") === "failed");
  const reason = failed && getString(failed, "failure_reason");
  if (failed === undefined || reason === undefined) return undefined;
  const name = getString(failed, "name");
  return name === undefined ? reason : `job "${name}" failed: ${reason}`;
}

function usernameOf(payload: JsonObject): string | undefined {
  const user = getObject(payload, "user");
  return user && getString(user, "username");
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split("\n", 1)[0]?.trim();
  return line === "" ? undefined : line;
}
