/**
 * GitHub `deployment` / `deployment_status` webhooks → `DeployEvent` (REFERENCE.md, "Mapping to
 * DeployEvent.kind"), and `pull_request` `closed` → `change.closed`. Pure: no I/O, same input
 * same output.
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
} from "../events/deploy-event.js";
import { inferEnvironmentType } from "./environment-type.js";
import {
  firstString,
  getBoolean,
  getObject,
  getString,
  type JsonObject,
  requireId,
  requireNumber,
  requireObject,
  requirePayloadObject,
  requireString,
  requireTimestamp,
  requireUrl,
  withMalformedContext,
} from "./json-access.js";

/** `deployment_status.state` → kind; a Map so payload text can never hit prototype keys. */
const STATE_KINDS = new Map<string, DeployEventKind>([
  ["pending", "deploy.started"],
  ["queued", "deploy.started"],
  ["in_progress", "deploy.started"],
  ["success", "deploy.succeeded"],
  ["failure", "deploy.failed"],
  ["error", "deploy.failed"],
]);

/** `refs/pull/42/merge`, `pull/42/head`: the refs CI systems deploy pull request previews from. */
const PULL_REQUEST_REF = /^(?:refs\/)?pull\/(\d+)\/(?:head|merge)$/;

/**
 * Normalizes a GitHub webhook delivery. `deployment` and `deployment_status` with action
 * `created` become deploy events, and `pull_request` with action `closed` (merged or not)
 * becomes `change.closed`; every other event is ignored (not an error) because a GitHub App
 * receives many events it does not route.
 *
 * Options are accepted for a uniform normalizer signature; GitHub's own payload always names a
 * GitHub repository, so host classification is not needed here.
 *
 * @throws MalformedEventError when the header is missing or a deploy payload lacks required fields.
 */
export function normalizeGithub(
  input: NormalizeInput,
  _options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const payload = requirePayloadObject(input.payload, "github");
  const event = input.headers["x-github-event"];
  if (event === undefined || event === "") {
    throw new MalformedEventError("github delivery has no x-github-event header");
  }
  if (event === "pull_request") {
    const action = getString(payload, "action");
    if (action !== "closed") {
      return ignored(`github "pull_request" action "${action ?? "(none)"}" is not handled`);
    }
    return withMalformedContext('github "pull_request" event', () =>
      fromClosedPullRequest(payload),
    );
  }
  if (event !== "deployment" && event !== "deployment_status") {
    return ignored(`github event "${event}" is not a deploy event`);
  }
  const action = getString(payload, "action");
  // GitHub Enterprise Server sends these two events without `action` (they are only ever
  // "created"); github.com says so explicitly.
  if (action !== undefined && action !== "created") {
    return ignored(`github "${event}" action "${action ?? "(none)"}" is not handled`);
  }
  return withMalformedContext(`github "${event}" event`, () =>
    event === "deployment" ? fromDeployment(payload) : fromDeploymentStatus(payload),
  );
}

function fromDeployment(payload: JsonObject): DeployEvent {
  const base = readDeployment(payload, undefined);
  const deployment = requireObject(payload, "deployment", "");
  return {
    ...base,
    kind: "deploy.started",
    sourceEvent: "deployment",
    urls: {},
    actor: loginOf(deployment, "creator") ?? loginOf(payload, "sender"),
    // The event announces the creation, so the creation time is when it happened.
    occurredAt: requireTimestamp(deployment, ["created_at", "updated_at"], "deployment"),
  };
}

function fromDeploymentStatus(payload: JsonObject): NormalizeResult {
  const status = requireObject(payload, "deployment_status", "");
  const state = requireString(status, "state", "deployment_status");
  const base = readDeployment(payload, getString(status, "environment"));
  const occurredAt = requireTimestamp(status, ["updated_at", "created_at"], "deployment_status");

  if (state === "inactive") {
    return ignored(
      `github deployment_status "inactive": environment "${base.environment.name}" became inactive`,
    );
  }
  const kind = STATE_KINDS.get(state);
  if (kind === undefined) return ignored(`github deployment_status state "${state}" is not mapped`);

  return {
    ...base,
    kind,
    sourceEvent: "deployment_status",
    urls: {
      deploy: getString(status, "environment_url"),
      logs: firstString(status, ["log_url", "target_url"]),
    },
    error: kind === "deploy.failed" ? getString(status, "description") : undefined,
    actor: loginOf(status, "creator") ?? loginOf(payload, "sender"),
    occurredAt,
    ids: { ...base.ids, deploymentStatus: requireId(status, "id", "deployment_status") },
  };
}

/** A closed (or merged) pull request: its sticky comment says so from now on. */
function fromClosedPullRequest(payload: JsonObject): DeployEvent {
  const pull = requireObject(payload, "pull_request", "");
  const number = requireNumber(pull, "number", "pull_request");
  const head = getObject(pull, "head");
  const sha = head === undefined ? undefined : getString(head, "sha");
  const project = readRepository(payload);
  const repositoryUrl = project.repository.url;
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind: "change.closed",
    source: "github",
    sourceEvent: "pull_request",
    project,
    environment: { ...NO_ENVIRONMENT },
    commit: sha === undefined ? undefined : { sha, url: `${repositoryUrl}/commit/${sha}` },
    change: { number, url: getString(pull, "html_url") ?? `${repositoryUrl}/pull/${number}` },
    urls: {},
    actor: loginOf(payload, "sender"),
    occurredAt: requireTimestamp(pull, ["closed_at", "updated_at"], "pull_request"),
    ids: { pullRequest: requireId(pull, "id", "pull_request") },
  };
}

type GithubProject = DeployEvent["project"] & { repository: { url: string } };

/** The project an event is about: the repository, named as GitHub names it. */
function readRepository(payload: JsonObject): GithubProject {
  const repository = requireObject(payload, "repository", "");
  const htmlUrl = requireUrl(repository, "html_url", "repository");
  const repositoryId = requireNumber(repository, "id", "repository");
  return {
    name: requireString(repository, "name", "repository"),
    id: String(repositoryId),
    repository: {
      host: "github",
      origin: htmlUrl.origin,
      fullPath: requireString(repository, "full_name", "repository"),
      id: repositoryId,
      url: htmlUrl.href.replace(/\/+$/, ""),
    },
  };
}

type DeploymentFields = Pick<
  DeployEvent,
  "schemaVersion" | "source" | "project" | "environment" | "commit" | "change" | "ids"
>;

/** The fields both events share, read from `repository` and `deployment`. */
function readDeployment(
  payload: JsonObject,
  statusEnvironment: string | undefined,
): DeploymentFields {
  const project = readRepository(payload);
  const deployment = requireObject(payload, "deployment", "");

  const repositoryUrl = project.repository.url;
  const sha = requireString(deployment, "sha", "deployment");
  const ref = getString(deployment, "ref");
  const environmentName =
    statusEnvironment ?? requireString(deployment, "environment", "deployment");
  const pullNumber = ref === undefined ? undefined : PULL_REQUEST_REF.exec(ref)?.[1];

  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    source: "github",
    project,
    environment: {
      name: environmentName,
      type: githubEnvironmentType(environmentName, deployment),
    },
    commit: { sha, ref, url: `${repositoryUrl}/commit/${sha}` },
    change:
      pullNumber === undefined
        ? undefined
        : { number: Number(pullNumber), url: `${repositoryUrl}/pull/${pullNumber}` },
    ids: { deploy: requireId(deployment, "id", "deployment") },
  };
}

/**
 * The flags only ever promote: GitHub sets `production_environment` to true by default only for
 * an environment literally named `production`, so `false` is what a `prod` or `live` deployment
 * carries too and says nothing; the name decides then.
 */
function githubEnvironmentType(name: string, deployment: JsonObject): EnvironmentType {
  if (getBoolean(deployment, "production_environment") === true) return "PRODUCTION";
  if (getBoolean(deployment, "transient_environment") === true) return "PREVIEW";
  // GitHub Pages deploys to this environment, and it is the published site.
  if (name.toLowerCase() === "github-pages") return "PRODUCTION";
  return inferEnvironmentType(name);
}

function loginOf(obj: JsonObject, key: string): string | undefined {
  const user = getObject(obj, key);
  return user === undefined ? undefined : getString(user, "login");
}
