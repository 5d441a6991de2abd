/**
 * Generic deploy reports → `DeployEvent`. The body is Shipcast's own documented format
 * (`generic-body.ts`), so there is little to map: the repository URL gives the code host, the
 * environment's type is guessed from its name when not given. Pure: no I/O.
 */
import {
  DEFAULT_NORMALIZE_OPTIONS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEvent,
  MalformedEventError,
  type NormalizeInput,
  type NormalizeOptions,
  type NormalizeResult,
} from "../events/deploy-event.js";
import { inferEnvironmentType } from "./environment-type.js";
import { genericBodyProblems, genericBodySchema } from "./generic-body.js";
import { toIsoTimestamp } from "./json-access.js";
import { changeUrlOf, commitUrlOf, repositoryFromUrl } from "./repository-url.js";

/**
 * Normalizes a generic report. Every valid body is an event.
 *
 * @throws MalformedEventError when the body does not match the documented format, or when it has
 *   no `occurred_at` and no receive time was given.
 */
export function normalizeGeneric(
  input: NormalizeInput,
  options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizeResult {
  const parsed = genericBodySchema.safeParse(input.payload);
  if (!parsed.success) {
    throw new MalformedEventError(`generic report: ${genericBodyProblems(parsed.error)}`);
  }
  const body = parsed.data;
  const occurredAt = toIsoTimestamp(body.occurred_at ?? input.receivedAt);
  if (occurredAt === undefined) {
    throw new MalformedEventError("generic report: occurred_at is missing");
  }
  const repository = repositoryFromUrl(body.repository_url, options);
  const sha = body.sha?.toLowerCase();
  const commit = {
    sha,
    ref: body.ref,
    url: repository && sha ? commitUrlOf(repository, sha) : undefined,
    message: body.description,
  };
  const event: DeployEvent = {
    schemaVersion: DEPLOY_EVENT_SCHEMA_VERSION,
    kind: body.kind,
    source: "generic",
    sourceEvent: body.kind,
    project: { name: body.project, repository },
    environment: {
      name: body.environment,
      type: body.environment_type ?? inferEnvironmentType(body.environment),
    },
    commit: Object.values(commit).some((value) => value !== undefined) ? commit : undefined,
    change:
      body.change === undefined
        ? undefined
        : {
            number: body.change,
            url: repository ? changeUrlOf(repository, body.change) : undefined,
          },
    urls: { deploy: body.deploy_url, logs: body.log_url },
    error: body.kind === "deploy.failed" ? body.description : undefined,
    actor: body.actor,
    occurredAt,
    ids: { deploy: body.deploy_id },
  };
  return event;
}
