/**
 * Netlify deploy and form-submission notifications → `DeployEvent` (REFERENCE.md, "Mapping to
 * DeployEvent.kind" and the Netlify body fields). Pure: no I/O, same input same output.
 *
 * Fields are copied one by one into a new object, never spread from the body, so the live
 * `log_access_attributes.token` Netlify sends can never leak into a stored or forwarded event.
 */
import {
  DEFAULT_NORMALIZE_OPTIONS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEvent,
  type DeployEventKind,
  type EnvironmentType,
  ignored,
  MalformedEventError,
  type NormalizeInput,
  type NormalizeOptions,
  type NormalizeResult,
  type RepositoryRef,
} from "../events/deploy-event.js";
import { inferEnvironmentType } from "./environment-type.js";
import {
  firstString,
  getId,
  getNumber,
  getString,
  isJsonObject,
  type JsonObject,
  parseUrl,
  requireId,
  requireObject,
  requirePayloadObject,
  requireString,
  requireTimestamp,
  withMalformedContext,
} from "./json-access.js";
import { readForgeUrl, repositoryAt } from "./repository-url.js";

const EVENT_KINDS = new Map<string, DeployEventKind>([
  ["deploy_building", "deploy.started"],
  ["deploy_created", "deploy.succeeded"],
  ["deploy_failed", "deploy.failed"],
  ["deploy_locked", "deploy.locked"],
  ["deploy_unlocked", "deploy.unlocked"],
  ["submission_created", "form.submitted"],
]);

/** Deploy `state` → the event Netlify would have named, for deliveries without the header. */
const STATE_EVENTS = new Map([
  ["building", "deploy_building"],
  ["enqueued", "deploy_building"],
  ["ready", "deploy_created"],
  ["error", "deploy_failed"],
]);

const CONTEXT_TYPES = new Map<string, EnvironmentType>([
  ["production", "PRODUCTION"],
  ["deploy-preview", "PREVIEW"],
  ["branch-deploy", "DEVELOPMENT"],
]);

/**
 * The Netlify event a delivery stands for: the `X-Netlify-Event` header when sent, else derived
 * from the deploy's `state` (the header is unverified, REFERENCE.md), else `submission_created`
 * for a body shaped like a form submission (which has no `state`). Ingest builds its dedupe key
 * from the deploy id and this name, because Netlify sends no delivery id.
 *
 * @returns the lower-case event name, or undefined when neither header nor body names one.
 */
export function netlifyEventName(
  headers: Record<string, string>,
  payload: unknown,
): string | undefined {
  const header = headers["x-netlify-event"]?.trim().toLowerCase();
  if (header !== undefined && header !== "") return header;
  if (!isJsonObject(payload)) return undefined;
  const state = getString(payload, "state");
  if (state !== undefined) return STATE_EVENTS.get(state);
  if (getString(payload, "form_name") !== undefined && isJsonObject(payload.data)) {
    return "submission_created";
  }
  return undefined;
}

/**
 * Normalizes a Netlify notification: deploy state changes, deploy (un)locks and form
 * submissions. Anything else is ignored, since Netlify sends one hook per event type and a user
 * may point an unrelated one at Shipcast.
 *
 * `options` classify the repository host of `commit_url` (GitHub Enterprise, self-managed GitLab).
 *
 * @throws MalformedEventError when the body is not an object or lacks the fields an event needs.
 */
export function normalizeNetlify(
  input: NormalizeInput,
  options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const payload = requirePayloadObject(input.payload, "netlify");
  const event = netlifyEventName(input.headers, payload);
  if (event === undefined) {
    const state = getString(payload, "state");
    return ignored(`netlify deploy state "${state ?? "(none)"}" is not mapped`);
  }
  const kind = EVENT_KINDS.get(event);
  if (kind === undefined) return ignored(`netlify event "${event}" is not a deploy event`);
  return withMalformedContext(`netlify "${event}" event`, () =>
    kind === "form.submitted" ? fromSubmission(payload) : fromDeploy(payload, event, kind, options),
  );
}

function fromDeploy(
  payload: JsonObject,
  event: string,
  kind: DeployEventKind,
  options: NormalizeOptions,
): DeployEvent {
  const id = requireId(payload, "id", "");
  const context = requireString(payload, "context", "");
  const commitUrl = getString(payload, "commit_url");
  const adminUrl = getString(payload, "admin_url")?.replace(/\/+$/, "");
  const reviewId = getNumber(payload, "review_id");
  const commit = {
    sha: getString(payload, "commit_ref"),
    ref: getString(payload, "branch"),
    url: commitUrl,
    message: getString(payload, "title"),
  };
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind,
    source: "netlify",
    sourceEvent: event,
    project: {
      name: requireString(payload, "name", ""),
      id: getId(payload, "site_id"),
      repository: repositoryFromCommitUrl(commitUrl, options),
    },
    environment: {
      name: context,
      type: CONTEXT_TYPES.get(context) ?? inferEnvironmentType(context),
    },
    // Manual (drag-and-drop, CLI) deploys have no commit at all.
    commit: Object.values(commit).some((value) => value !== undefined) ? commit : undefined,
    change:
      reviewId !== undefined && Number.isInteger(reviewId)
        ? { number: reviewId, url: getString(payload, "review_url") }
        : undefined,
    urls: {
      deploy: firstString(payload, ["deploy_ssl_url", "deploy_url", "ssl_url", "url"]),
      logs: adminUrl === undefined ? undefined : `${adminUrl}/deploys/${id}`,
      admin: adminUrl,
    },
    error: kind === "deploy.failed" ? getString(payload, "error_message") : undefined,
    actor: getString(payload, "committer"),
    occurredAt: requireTimestamp(payload, ["updated_at", "created_at"], ""),
    ids: { deploy: id, build: getId(payload, "build_id") },
  };
}

/** Form submissions belong to a site, not a deploy: always the production site. */
function fromSubmission(payload: JsonObject): DeployEvent {
  const data = requireObject(payload, "data", "");
  const siteUrl = getString(payload, "site_url") ?? getString(data, "site_url");
  const site = parseUrl(siteUrl);
  if (siteUrl === undefined || site === undefined || site.hostname === "") {
    throw new MalformedEventError("site_url (or data.site_url) must be a URL");
  }
  return {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind: "form.submitted",
    source: "netlify",
    sourceEvent: "submission_created",
    project: { name: site.hostname, id: getId(payload, "site_id") },
    environment: { name: "production", type: "PRODUCTION" },
    urls: { deploy: siteUrl },
    occurredAt: requireTimestamp(payload, ["created_at"], ""),
    ids: { deploy: requireId(payload, "id", ""), form: getId(payload, "form_id") },
    form: { name: requireString(payload, "form_name", ""), fields: { ...data } },
  };
}

/**
 * Netlify builds from GitHub or GitLab; the commit URL is the only place that says which, and
 * where. Known hosts decide first; an unknown host is GitLab only when the URL has GitLab's
 * `/-/commit/` shape, since guessing wrong would send API calls to the wrong kind of server.
 */
function repositoryFromCommitUrl(
  commitUrl: string | undefined,
  options: NormalizeOptions,
): RepositoryRef | undefined {
  const forge = readForgeUrl(commitUrl, options);
  if (forge === undefined) return undefined;
  const { url, segments } = forge;
  const host = forge.host ?? (url.pathname.includes("/-/commit/") ? "gitlab" : undefined);
  if (host === undefined) return undefined;
  const path =
    host === "github" ? segments.slice(0, 2) : segments.slice(0, gitlabPathEnd(segments));
  return repositoryAt(host, url, path);
}

/** Index where a GitLab project path ends: before `/-/commit/`, else before `/commit/`. */
function gitlabPathEnd(segments: string[]): number {
  const dashed = segments.findIndex(
    (segment, i) => segment === "-" && segments[i + 1] === "commit",
  );
  if (dashed >= 0) return dashed;
  const plain = segments.indexOf("commit");
  return Math.max(plain, 0);
}
