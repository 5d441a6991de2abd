/**
 * Bitrise build webhooks → `DeployEvent` (REFERENCE.md, "Mapping to DeployEvent.kind"). The event
 * is in `Bitrise-Event-Type` (`build/triggered`, `build/started`, `build/finished`); a finished
 * build's outcome is `build_status` (1 succeeded, 2 failed, 3 aborted with failure, 4 aborted
 * with success). The workflow is the environment. Pure: no I/O.
 */
import {
  DEFAULT_NORMALIZE_OPTIONS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEventKind,
  ignored,
  MalformedEventError,
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
  getString,
  isJsonObject,
  requireId,
  requirePayloadObject,
  requireString,
  toIsoTimestamp,
  withMalformedContext,
} from "./json-access.js";

/** Bitrise's web app: build pages and app pages live here. */
export const BITRISE_WEB = "https://app.bitrise.io";

const STARTED_EVENTS = new Set(["build/triggered", "build/started"]);

/** `build_status` of a finished build → kind. */
const FINISHED_KINDS = new Map<number, DeployEventKind>([
  [1, "deploy.succeeded"],
  [2, "deploy.failed"],
  [3, "deploy.failed"],
  [4, "deploy.cancelled"],
]);

/**
 * The Bitrise event a delivery stands for: `Bitrise-Event-Type`, else (a hook that lost its
 * header) `build/started` for a running build and `build/finished` for any other status.
 */
export function bitriseEventName(
  headers: Record<string, string>,
  payload: unknown,
): string | undefined {
  const named = headers["bitrise-event-type"]?.trim().toLowerCase();
  if (named) return named;
  if (!isJsonObject(payload)) return undefined;
  const status = getNumber(payload, "build_status");
  if (status === undefined) return undefined;
  return status === 0 ? "build/started" : "build/finished";
}

/**
 * Normalizes a Bitrise build webhook. Events other than builds, and a `build/finished` still
 * running, are ignored.
 *
 * @throws MalformedEventError when the build's slugs or workflow are missing.
 */
export function normalizeBitrise(
  input: NormalizeInput,
  _options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const payload = requirePayloadObject(input.payload, "bitrise");
  const event = bitriseEventName(input.headers, payload);
  if (event === undefined)
    return ignored("bitrise event has no Bitrise-Event-Type or build_status");
  const status = getNumber(payload, "build_status");
  let kind: DeployEventKind | undefined;
  if (STARTED_EVENTS.has(event)) kind = "deploy.started";
  else if (event === "build/finished") {
    kind = status === undefined ? undefined : FINISHED_KINDS.get(status);
    if (kind === undefined) {
      return ignored(
        `bitrise build/finished with build_status ${status ?? "(none)"} is not an outcome`,
      );
    }
  } else return ignored(`bitrise event "${event}" is not a build event`);

  return withMalformedContext(`bitrise "${event}" event`, () => {
    const appSlug = requireString(payload, "app_slug", "");
    const buildSlug = requireString(payload, "build_slug", "");
    const workflow = requireString(payload, "build_triggered_workflow", "");
    const git = getObject(payload, "git") ?? {};
    const sha = getString(git, "commit_hash");
    const pullRequest = getNumber(git, "pull_request_id");
    const commit = {
      sha: sha !== undefined && /^[0-9a-f]{40}$/i.test(sha) ? sha.toLowerCase() : undefined,
      ref: firstString(git, ["tag", "src_branch"]),
      message: getString(git, "commit_message"),
    };
    const occurredAt = toIsoTimestamp(
      firstString(payload, ["finished_at", "started_on_worker_at", "triggered_at"]) ??
        input.receivedAt,
    );
    if (occurredAt === undefined) throw new MalformedEventError("no time: triggered_at is missing");
    return {
      schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
      kind,
      source: "bitrise",
      sourceEvent: event,
      project: { name: appSlug, id: appSlug },
      environment: { name: workflow, type: inferEnvironmentType(workflow) },
      commit: Object.values(commit).some((value) => value !== undefined) ? commit : undefined,
      // Bitrise sends 0 (or nothing) for builds not started by a pull request.
      change:
        pullRequest !== undefined && Number.isInteger(pullRequest) && pullRequest > 0
          ? { number: pullRequest }
          : undefined,
      urls: {
        logs: `${BITRISE_WEB}/build/${encodeURIComponent(buildSlug)}`,
        admin: `${BITRISE_WEB}/app/${encodeURIComponent(appSlug)}`,
      },
      error: kind === "deploy.failed" ? getString(payload, "abort_reason") : undefined,
      actor: getString(payload, "triggered_by"),
      occurredAt,
      ids: {
        deploy: buildSlug,
        build: getId(payload, "build_number") ?? requireId(payload, "build_slug", ""),
      },
    };
  });
}
