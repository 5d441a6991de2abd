/**
 * The documented body of a generic deploy report (any CI: GitHub Actions, Jenkins, Buildkite, a
 * shell script, `shipcast emit`), as a zod schema, and its JSON Schema (published at
 * `/api/v1/schema/generic.json`). Field names are snake_case, like the management API's.
 */
import { z } from "zod";
import { ENVIRONMENT_TYPES } from "../events/deploy-event.js";
import { publishedJsonSchema } from "../events/published-json-schema.js";

/** The kinds a generic report may have. */
export const GENERIC_KINDS = [
  "deploy.started",
  "deploy.succeeded",
  "deploy.failed",
  "deploy.cancelled",
] as const;

/** `$id` of the published JSON Schema. */
export const GENERIC_BODY_JSON_SCHEMA_ID = "https://shipcast.dev/schemas/generic/v1.json";

/** Where a running Shipcast serves it. */
export const GENERIC_BODY_JSON_SCHEMA_PATH = "/api/v1/schema/generic.json";

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .max(2048, { error: "must be at most 2048 characters" });

/** The body of `POST /api/sources/<id>/webhooks` for a generic source. */
export const genericBodySchema = z
  .strictObject({
    kind: z
      .enum(GENERIC_KINDS, { error: `expected one of ${GENERIC_KINDS.join(", ")}` })
      .describe("What happened to the deploy."),
    project: z.string().min(1).max(200).describe("The project (site, app, service) deployed."),
    environment: z
      .string()
      .min(1)
      .max(200)
      .describe("The environment deployed to, as your pipeline names it (`production`)."),
    environment_type: z
      .enum(ENVIRONMENT_TYPES, { error: `expected one of ${ENVIRONMENT_TYPES.join(", ")}` })
      .optional()
      .describe(
        "PRODUCTION, STAGING, DEVELOPMENT or PREVIEW. Default: guessed from the environment's name (`prod-eu` is PRODUCTION, `review/x` PREVIEW, anything unknown DEVELOPMENT).",
      ),
    ref: z.string().min(1).max(255).optional().describe("The branch or tag deployed."),
    sha: z
      .string()
      .regex(/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/, {
        error: "must be a full commit sha (40 or 64 hex characters)",
      })
      .optional()
      .describe(
        "The full sha of the commit deployed: commit statuses and pull-request comments need it.",
      ),
    repository_url: httpUrl
      .optional()
      .describe(
        "The repository's web URL (`https://github.com/owner/repo`). On github.com, GHE_HOST, gitlab.com or GITLAB_URL's host, it makes the GitHub and GitLab outputs possible.",
      ),
    change: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("The pull or merge request number, when the deploy is a preview of one."),
    deploy_url: httpUrl.optional().describe("Where the deployed site or service is."),
    log_url: httpUrl.optional().describe("The build or deploy log."),
    description: z
      .string()
      .max(1000)
      .optional()
      .describe("A line about the deploy; on deploy.failed, the error."),
    actor: z.string().min(1).max(200).optional().describe("Who started the deploy."),
    deploy_id: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "Your pipeline's id for this deploy, the same in its started and finished reports.",
      ),
    occurred_at: z.iso
      .datetime({ offset: true, error: "must be an ISO 8601 time with a zone (…Z or …+02:00)" })
      .optional()
      .describe("When it happened. Default: when Shipcast received the report."),
  })
  .describe("A deploy reported by any CI or script to a generic source.");

/** A valid generic body. */
export type GenericBody = z.output<typeof genericBodySchema>;

/** Every problem of a body, `field: message`, for a 400 answer or an event's failure reason. */
export function genericBodyProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join(".") || "(body)"}: ${issue.message}`)
    .join("; ");
}

/** The JSON Schema (draft 2020-12) of the generic body, as served. */
export function genericBodyJsonSchema(): Record<string, unknown> {
  return publishedJsonSchema(genericBodySchema, {
    id: GENERIC_BODY_JSON_SCHEMA_ID,
    title: "Shipcast generic deploy report",
    description:
      "The JSON body a generic source accepts at POST /api/sources/<id>/webhooks, signed with " +
      "Standard Webhooks (webhook-id, webhook-timestamp within 5 minutes, webhook-signature) or " +
      "X-Hub-Signature-256. Unknown fields are refused, so that a misspelt one is not lost.",
  });
}
