/**
 * The `DeployEvent` model as a zod schema, and the JSON Schema of Shipcast's outgoing webhook
 * body derived from it (published at `/api/v1/schema/event.json`).
 *
 * The TypeScript interface in `deploy-event.ts` stays the source of truth for the code; this
 * schema mirrors it field by field, and a compile-time check below fails the typecheck the
 * moment the two drift apart. Descriptions are the interface's comments, so the published
 * schema documents every field the way the code does.
 *
 * Objects are not strict: the model only grows by additive changes without a version bump
 * (`deploy-event.ts`), so the published schema must let receivers accept fields added later.
 */
import { z } from "zod";
import {
  ALERT_EVENT_KINDS,
  CHANGE_EVENT_KINDS,
  DEPLOY_EVENT_KINDS,
  DEPLOY_EVENT_SCHEMA_VERSION,
  type DeployEvent,
  ENVIRONMENT_TYPES,
  EVENT_SOURCES,
} from "./deploy-event.js";
import { publishedJsonSchema } from "./published-json-schema.js";

/** `$id` of the published JSON Schema; its last segment is the event schema version. */
export const DEPLOY_EVENT_JSON_SCHEMA_ID = `https://shipcast.dev/schemas/event/v${DEPLOY_EVENT_SCHEMA_VERSION}.json`;

/** Where a running Shipcast serves the JSON Schema. */
export const DEPLOY_EVENT_JSON_SCHEMA_PATH = "/api/v1/schema/event.json";

/** A repository a deploy was built from, on a code host Shipcast can write to. */
export const repositoryRefSchema = z
  .object({
    host: z.enum(["github", "gitlab"]).describe("Which API serves it."),
    origin: z
      .string()
      .describe(
        "Web origin of the host, e.g. `https://github.com` or `https://gitlab.example.com`.",
      ),
    fullPath: z.string().describe("`owner/repo` on GitHub, `group/sub/project` on GitLab."),
    id: z
      .number()
      .int()
      .optional()
      .describe("Numeric repository/project id, where the source tells it."),
    url: z.string().optional().describe("Web URL of the repository."),
  })
  .describe("A repository a deploy was built from, on a code host Shipcast can write to.");

/** A change of a notification's delivery health, as announced to the `alerts` targets. */
export const healthAlertSchema = z
  .object({
    notification: z
      .object({
        id: z.string().describe("The notification's id."),
        kind: z.string().describe("Notifier kind (`webhook`, `slack`, `email`)."),
        description: z.string().describe("The notification's description."),
      })
      .describe("The notification whose health changed."),
    state: z
      .enum(["active", "paused", "disabled"])
      .describe("`active` again, `paused` until `disabledUntil`, or `disabled` until re-enabled."),
    reason: z.string().describe("Why the state changed."),
    consecutiveFailures: z
      .number()
      .int()
      .describe("Failed deliveries in a row when the state changed."),
    disabledUntil: z.string().optional().describe("End of the pause, ISO 8601."),
  })
  .describe("A change of a notification's delivery health, as announced to the `alerts` targets.");

/** What a build hook was asked to start (`build.requested`). Secrets are never part of it. */
export const buildRequestSchema = z
  .object({
    hook: z
      .object({
        id: z.string().describe("The build hook's public id (never its URL)."),
        title: z.string().describe("The build hook's title."),
      })
      .describe("The build hook that was POSTed to."),
    title: z.string().optional().describe("`trigger_title` of the request, when it gave one."),
    ref: z
      .string()
      .optional()
      .describe("The ref built: the hook's own, or `trigger_branch` where the hook allows that."),
    target: z
      .object({
        type: z
          .enum(["github_workflow", "gitlab_pipeline", "url"])
          .describe("`github_workflow`, `gitlab_pipeline` or `url`."),
        repository: z.string().optional().describe("GitHub `owner/repo` (github_workflow)."),
        workflow: z.string().optional().describe("Workflow file name or id (github_workflow)."),
        project: z.string().optional().describe("GitLab project path or id (gitlab_pipeline)."),
        origin: z
          .string()
          .optional()
          .describe(
            "Scheme, host and port of the URL (url); its path and query may hold credentials.",
          ),
      })
      .describe("What the hook starts, without its secrets."),
  })
  .describe("What a build hook was asked to start (`build.requested`).");

/** The zod schema of a `DeployEvent` (see `deploy-event.ts` for the model). */
export const deployEventSchema = z
  .object({
    schemaVersion: z
      .literal(DEPLOY_EVENT_SCHEMA_VERSION)
      .describe("Schema version of this object; bumped on any incompatible change."),
    kind: z
      .enum([...DEPLOY_EVENT_KINDS, ...ALERT_EVENT_KINDS, ...CHANGE_EVENT_KINDS])
      .describe(
        "What happened: a deploy state change, a deploy (un)lock, a form submission, a build " +
          "requested through a build hook, (`notification.*`) a change of a notification's " +
          "delivery health, or (`change.closed`) a pull/merge request closed or merged.",
      ),
    source: z
      .enum(EVENT_SOURCES)
      .describe("The system that reported the event (`shipcast` for health alerts)."),
    sourceEvent: z
      .string()
      .describe(
        "The provider's own event name (`deployment_status`, `Deployment Hook`, `deploy_failed`).",
      ),
    project: z
      .object({
        name: z.string().describe("Site, app or project name as the source calls it."),
        id: z
          .string()
          .optional()
          .describe(
            "The source's own id for it (Netlify site id, GitLab project id, GitHub repository id).",
          ),
        repository: repositoryRefSchema.optional(),
      })
      .describe("The project deployed and, where known, the repository it builds."),
    environment: z
      .object({
        name: z
          .string()
          .describe("Name as the source says it (`production`, `staging`, `deploy-preview`)."),
        type: z
          .enum(ENVIRONMENT_TYPES)
          .describe("The environment type every source's notion is mapped onto."),
      })
      .describe("The environment deployed to."),
    commit: z
      .object({
        sha: z
          .string()
          .optional()
          .describe("Full sha when known (always 40 hex characters for git)."),
        ref: z.string().optional().describe("Branch or ref the deploy was built from."),
        url: z.string().optional().describe("Web URL of the commit."),
        message: z.string().optional().describe("Commit title / deploy title."),
      })
      .optional()
      .describe("The commit deployed."),
    change: z
      .object({
        number: z.number().int().describe("Pull or merge request number."),
        url: z.string().optional().describe("Web URL of the pull or merge request."),
      })
      .optional()
      .describe(
        "The pull or merge request a preview deploy belongs to (or, `change.*`, the event is about).",
      ),
    urls: z
      .object({
        deploy: z.string().optional().describe("The deployed site."),
        logs: z.string().optional().describe("The build or job log."),
        admin: z
          .string()
          .optional()
          .describe("The provider's admin page for the project or deploy."),
      })
      .describe("Links about the deploy."),
    error: z.string().optional().describe("Error message on failure."),
    actor: z.string().optional().describe("Who triggered the deploy."),
    occurredAt: z.string().describe("Source time of this state, ISO 8601."),
    ids: z
      .object({
        deploy: z.string().optional().describe("The provider's deploy / deployment / pipeline id."),
      })
      .catchall(
        z
          .string()
          .optional()
          .describe("Netlify build id, GitLab job id, GitHub deployment status id…"),
      )
      .describe("Ids that correlate the events of one deploy."),
    form: z
      .object({
        name: z.string().describe("The form's name."),
        fields: z.record(z.string(), z.unknown()).describe("The submitted fields, by name."),
      })
      .optional()
      .describe("Form submissions only (`form.submitted`)."),
    alert: healthAlertSchema
      .optional()
      .describe("Health alerts only (`notification.*`, source `shipcast`): what changed, and why."),
    build: buildRequestSchema
      .optional()
      .describe(
        "Build requests only (`build.requested`, source `shipcast`): which hook asked for what.",
      ),
  })
  .describe("A deploy event, normalized from whichever source reported it.");

/**
 * The body of one outgoing webhook: the event's fields plus `id`, the id of the Shipcast event
 * (the same for every target and re-send of one event; `X-Shipcast-Delivery` identifies the
 * delivery to one target).
 */
export const webhookBodySchema = deployEventSchema
  .extend({
    id: z.string().min(1).describe("Shipcast's id of the event (shared by all its deliveries)."),
  })
  .describe("The body of Shipcast's outgoing webhooks: a normalized deploy event and its id.");

/** The body of an outgoing webhook. */
export type WebhookBody = z.infer<typeof webhookBodySchema>;

/**
 * Builds the body of an outgoing webhook: `id` first (receivers and people reading a log see it
 * first), then the event's fields in their order.
 */
export function webhookBody(eventId: string, event: DeployEvent): WebhookBody {
  return { id: eventId, ...event };
}

type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * Compile-time proof that the schema and the interface describe the same objects: the typecheck
 * fails here when either changes alone.
 */
export const DEPLOY_EVENT_SCHEMA_MATCHES: MutuallyAssignable<
  z.infer<typeof deployEventSchema>,
  DeployEvent
> = true;

/**
 * The JSON Schema (draft 2020-12) of the outgoing webhook body, as served at
 * `/api/v1/schema/event.json`. It describes the body as a receiver reads it (after JSON: no
 * `undefined` fields), and leaves objects open to fields added by later additive changes.
 */
export function deployEventJsonSchema(): Record<string, unknown> {
  return publishedJsonSchema(webhookBodySchema, {
    id: DEPLOY_EVENT_JSON_SCHEMA_ID,
    title: `Shipcast deploy event, schema version ${DEPLOY_EVENT_SCHEMA_VERSION}`,
    description:
      "The JSON body of Shipcast's outgoing webhooks: one normalized deploy event and `id`, " +
      "Shipcast's id of the event. Headers carry the delivery id (`X-Shipcast-Delivery`, stable " +
      "across retries) and the signatures. New optional fields may be added without a version " +
      "change; receivers must ignore fields they do not know.",
  });
}
