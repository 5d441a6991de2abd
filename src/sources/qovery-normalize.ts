/**
 * Qovery organization webhooks → `DeployEvent` (REFERENCE.md: `DEPLOYMENT_STARTED`,
 * `DEPLOYMENT_SUCCESSFUL`, `DEPLOYMENT_FAILURE`, `DEPLOYMENT_CANCELLED`, with the project, the
 * environment and its type). No captured Qovery body was at hand, so the documented fields are read
 * leniently: at the top level or under `payload`, as a name or as an object with a `name`, under
 * the spellings Qovery's API uses elsewhere. An event that cannot be read is ignored with the
 * field that was missing, never failed: Qovery should not see errors for what it sent.
 * Pure: no I/O.
 */
import {
  DEFAULT_NORMALIZE_OPTIONS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEventKind,
  ENVIRONMENT_TYPES,
  ignored,
  type NormalizeInput,
  type NormalizeOptions,
  type NormalizeResult,
} from "../events/deploy-event.js";
import { inferEnvironmentType } from "./environment-type.js";
import {
  firstString,
  getId,
  getNumber,
  getObject,
  isJsonObject,
  type JsonObject,
  toIsoTimestamp,
} from "./json-access.js";
import { repositoryFromUrl } from "./repository-url.js";

const EVENT_KINDS = new Map<string, DeployEventKind>([
  ["DEPLOYMENT_STARTED", "deploy.started"],
  ["DEPLOYMENT_SUCCESSFUL", "deploy.succeeded"],
  ["DEPLOYMENT_FAILURE", "deploy.failed"],
  ["DEPLOYMENT_CANCELLED", "deploy.cancelled"],
]);

/** The event type of a Qovery body (`event_type`, `type` or `event`, top level or in `payload`). */
export function qoveryEventName(payload: unknown): string | undefined {
  if (!isJsonObject(payload)) return undefined;
  for (const scope of scopesOf(payload)) {
    const name = firstString(scope, ["event_type", "type", "event"]);
    if (name !== undefined) return name.toUpperCase();
  }
  return undefined;
}

/**
 * Normalizes a Qovery webhook. Never throws for what the body lacks: a missing event type,
 * project or environment is an ignored event naming the field.
 */
export function normalizeQovery(
  input: NormalizeInput,
  options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const payload = input.payload;
  if (!isJsonObject(payload)) return ignored("qovery body is not a JSON object");
  const event = qoveryEventName(payload);
  if (event === undefined) return ignored("qovery event has no event_type");
  const kind = EVENT_KINDS.get(event);
  if (kind === undefined) return ignored(`qovery event "${event}" is not a deployment event`);
  const scopes = scopesOf(payload);

  const project = named(scopes, "project");
  if (project.name === undefined)
    return ignored(`qovery ${event} has no project (payload.project.name)`);
  const environment = named(scopes, "environment");
  if (environment.name === undefined) {
    return ignored(`qovery ${event} has no environment (payload.environment.name)`);
  }
  const typeText =
    (environment.object && firstString(environment.object, ["type", "mode", "environment_type"])) ??
    find(scopes, (scope) => firstString(scope, ["environment_type", "environment_mode"]));
  const type =
    ENVIRONMENT_TYPES.find((known) => known === typeText?.toUpperCase()) ??
    inferEnvironmentType(environment.name);

  const occurredAt = find(scopes, (scope) => timeOf(scope)) ?? toIsoTimestamp(input.receivedAt);
  if (occurredAt === undefined) return ignored(`qovery ${event} has no time (timestamp)`);

  const commit = {
    sha: find(scopes, (scope) => {
      const sha = firstString(scope, ["git_commit_id", "commit_id", "commit_sha"]);
      return sha !== undefined && /^[0-9a-f]{40}$/i.test(sha) ? sha.toLowerCase() : undefined;
    }),
    ref: find(scopes, (scope) => firstString(scope, ["git_branch", "branch"])),
  };
  const repositoryUrl = find(scopes, (scope) =>
    firstString(scope, ["git_repository_url", "repository_url"]),
  );
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind,
    source: "qovery",
    sourceEvent: event,
    project: {
      name: project.name,
      id: project.object ? getId(project.object, "id") : undefined,
      repository: repositoryFromUrl(repositoryUrl, options),
    },
    environment: { name: environment.name, type },
    commit: commit.sha !== undefined || commit.ref !== undefined ? commit : undefined,
    urls: {
      deploy: find(scopes, (scope) => firstString(scope, ["application_url", "url"])),
      admin: find(scopes, (scope) => firstString(scope, ["console_url"])),
    },
    error:
      kind === "deploy.failed"
        ? find(scopes, (scope) => firstString(scope, ["error_message", "message"]))
        : undefined,
    actor: find(scopes, (scope) => firstString(scope, ["triggered_by", "user"])),
    occurredAt,
    ids: {
      deploy: find(scopes, (scope) =>
        firstString(scope, ["deployment_id", "execution_id", "deployment_request_id"]),
      ),
      environment:
        (environment.object ? getId(environment.object, "id") : undefined) ??
        find(scopes, (scope) => getId(scope, "environment_id")),
    },
  };
}

/** Where fields may be: `payload` first (the documented nesting), then the top level. */
function scopesOf(payload: JsonObject): JsonObject[] {
  const inner = getObject(payload, "payload");
  return inner ? [inner, payload] : [payload];
}

/** The first value `read` finds in the scopes. */
function find<T>(scopes: JsonObject[], read: (scope: JsonObject) => T | undefined): T | undefined {
  for (const scope of scopes) {
    const value = read(scope);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** `key` as a name (`"web"`), an object with a name, or `<key>_name`. */
function named(
  scopes: JsonObject[],
  key: string,
): { name: string | undefined; object: JsonObject | undefined } {
  for (const scope of scopes) {
    const object = getObject(scope, key);
    const name =
      (object && firstString(object, ["name"])) ?? firstString(scope, [key, `${key}_name`]);
    if (name !== undefined) return { name, object };
  }
  return { name: undefined, object: undefined };
}

/** A time field: ISO 8601 text, or epoch seconds or milliseconds. */
function timeOf(scope: JsonObject): string | undefined {
  const text = firstString(scope, ["timestamp", "created_at", "updated_at", "date"]);
  if (text !== undefined) return toIsoTimestamp(text);
  const number = getNumber(scope, "timestamp");
  if (number === undefined || number <= 0) return undefined;
  const ms = number > 1e12 ? number : number * 1000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
