/**
 * The schemas of `/api/v1/build_hooks`: what a request may say (validated with these: 422 with
 * every problem by field) and what an answer says. The OpenAPI document is generated from the
 * same objects.
 *
 * A hook is Netlify's build hook (a title and an unguessable URL that starts a build when
 * POSTed to) with a target of Shipcast's: a GitHub Actions workflow, a GitLab pipeline or any
 * URL. Secrets (a GitLab trigger token, a URL's signing secrets and header values) are
 * write-only: answers show them as `…_set` flags, as for notifications.
 */
import { z } from "zod";
import { ENVIRONMENT_TYPES } from "../../events/deploy-event.js";
import { environmentTypeSchema } from "../environment-type-schema.js";

/** The targets a build hook can start. */
export const BUILD_HOOK_TARGET_TYPES = ["github_workflow", "gitlab_pipeline", "url"] as const;

/** Default of `rate_limit_per_minute`. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 10;
/** Highest `rate_limit_per_minute`: more is not a build schedule any more. */
export const MAX_RATE_LIMIT_PER_MINUTE = 600;
/** `workflow_dispatch` takes at most 25 inputs. */
export const MAX_WORKFLOW_INPUTS = 25;
/** Pipeline variables per hook. */
export const MAX_PIPELINE_VARIABLES = 50;
/** Longest `?trigger_title=` and title. */
export const MAX_TITLE_LENGTH = 255;

/**
 * Whether `name` is a branch or tag name git accepts (`git check-ref-format`'s rules): no
 * spaces, control characters or `~^:?*[\`, no `..`, `@{` or `//`, not starting with `-` or `/`,
 * not ending with `/`, `.` or `.lock`.
 */
export function isRefName(name: string): boolean {
  if (name === "" || name.length > 255 || name === "@") return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s~^:?*[\\\u0000-\u001f\u007f]/.test(name)) return false;
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return false;
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/")) return false;
  return !name.endsWith(".") && !name.endsWith(".lock");
}

const refSchema = z
  .string()
  .min(1, { error: "required" })
  .max(255)
  .refine(isRefName, { error: "not a valid branch or tag name" });

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .max(2048, { error: "must be at most 2048 characters" });

/** A check that a record has at most `max` keys. */
function atMost(max: number) {
  return (record: Record<string, unknown>) => Object.keys(record).length <= max;
}

/** A GitHub Actions workflow, started with `workflow_dispatch`. */
export const githubWorkflowTargetSchema = z
  .strictObject({
    type: z.literal("github_workflow"),
    repository: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, { error: "expected owner/repo" })
      .describe(
        "`owner/repo` on the GitHub the Shipcast GitHub App serves (it must be installed there).",
      ),
    workflow: z
      .union([z.number().int().positive(), z.string().regex(/^(\d+|[^/\\\s]+\.ya?ml)$/)], {
        error: "expected the workflow's file name (deploy.yml) or its numeric id",
      })
      .transform(String)
      .describe(
        "The workflow's file name (`deploy.yml`) or numeric id; it needs `on: workflow_dispatch`.",
      ),
    ref: refSchema.describe("Branch or tag to run the workflow on."),
    inputs: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, { error: "not a valid input name" }),
        z.string().max(65_535),
      )
      .refine(atMost(MAX_WORKFLOW_INPUTS), {
        error: `at most ${MAX_WORKFLOW_INPUTS} inputs`,
      })
      .default({})
      .describe("`workflow_dispatch` inputs, name → value. Default none."),
  })
  .describe("A GitHub Actions workflow, started with workflow_dispatch as the app's installation");

/** A GitLab pipeline, created with `GITLAB_TOKEN` or through a pipeline trigger token. */
export const gitlabPipelineTargetSchema = z
  .strictObject({
    type: z.literal("gitlab_pipeline"),
    project: z
      .union(
        [
          z.number().int().positive().transform(String),
          z.string().regex(/^(\d+|[\w.-]+(\/[\w.-]+)+)$/),
        ],
        { error: "expected the project's numeric id or its full path (group/project)" },
      )
      .describe("Numeric project id or full path (`group/sub/project`) on GITLAB_URL."),
    ref: refSchema.describe("Branch or tag to run the pipeline for."),
    variables: z
      .record(
        z
          .string()
          .max(255)
          .regex(/^[A-Za-z0-9_]+$/, { error: "letters, digits and _ only" }),
        z.string().max(10_000),
      )
      .refine(atMost(MAX_PIPELINE_VARIABLES), {
        error: `at most ${MAX_PIPELINE_VARIABLES} variables`,
      })
      .default({})
      .describe("Pipeline variables, key → value. Default none. Not secret: they show in reads."),
    trigger_token: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "A pipeline trigger token of the project: POST /projects/:id/trigger/pipeline with it. Write-only, stored encrypted. Without one, GITLAB_TOKEN creates the pipeline.",
      ),
  })
  .describe("A GitLab pipeline");

const whsecSecret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, {
  error: "must be whsec_ followed by a base64 key",
});

/** Any URL, POSTed the `build.requested` event and signed like outgoing webhooks. */
export const urlTargetSchema = z
  .strictObject({
    type: z.literal("url"),
    url: httpUrl.describe(
      "Where to POST. Credentials in it are sent as Basic authorization; with credentials or a query string, the URL is stored encrypted and shown masked.",
    ),
    ref: refSchema
      .optional()
      .describe("The ref the build.requested event names (and trigger_branch replaces)."),
    headers: z
      .record(z.string(), z.string().max(4096))
      .default({})
      .describe("Custom headers; values are write-only and stored encrypted."),
    secret: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("HMAC secret: X-Hub-Signature-256. Write-only."),
    jws_secret: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('JWS secret: X-Nf-Sign (HS256, iss "shipcast"). Write-only.'),
    standard_webhooks_secret: z
      .union([whsecSecret, z.array(whsecSecret).min(1).max(5)])
      .transform((value) => (Array.isArray(value) ? value : [value]))
      .optional()
      .describe("Standard Webhooks secret(s) (whsec_…). Write-only."),
    ssl_verification: z.boolean().default(true).describe("Verify the receiver's TLS certificate."),
  })
  .describe("Any URL, POSTed the build.requested event and signed like outgoing webhooks");

/** A hook's target, by `type`. */
export const buildHookTargetSchema = z.discriminatedUnion(
  "type",
  [githubWorkflowTargetSchema, gitlabPipelineTargetSchema, urlTargetSchema],
  { error: `type: expected one of ${BUILD_HOOK_TARGET_TYPES.join(", ")}` },
);

const environmentSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    type: environmentTypeSchema,
  })
  .describe(
    "The environment build.requested events name, for routes' filters. Default production (PRODUCTION).",
  );

const commonFields = {
  title: z
    .string()
    .trim()
    .min(1, { error: "required" })
    .max(200)
    .describe(
      'What the hook is for, e.g. "Nightly". Slack says "build requested by hook <title>".',
    ),
  enabled: z
    .boolean()
    .describe("Default true. A disabled hook's URL answers 404, exactly as an unknown URL."),
  allow_branch_override: z
    .boolean()
    .describe(
      "Whether ?trigger_branch= may replace the target's ref. Default false: a different branch is refused (403).",
    ),
  rate_limit_per_minute: z
    .number()
    .int()
    .min(1)
    .max(MAX_RATE_LIMIT_PER_MINUTE)
    .describe(
      `At most this many triggers in any minute; more are answered 429 with Retry-After. Default ${DEFAULT_RATE_LIMIT_PER_MINUTE}.`,
    ),
  project: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe(
      "The project name build.requested events carry. Default: the repository's or project's name, or the URL's host.",
    ),
  environment: environmentSchema,
};

/** The body of `POST /api/v1/build_hooks`. */
export const buildHookCreateSchema = z
  .strictObject({
    title: commonFields.title,
    target: buildHookTargetSchema,
    enabled: commonFields.enabled.default(true),
    allow_branch_override: commonFields.allow_branch_override.default(false),
    rate_limit_per_minute: commonFields.rate_limit_per_minute.default(
      DEFAULT_RATE_LIMIT_PER_MINUTE,
    ),
    project: commonFields.project.optional(),
    environment: commonFields.environment.optional(),
  })
  .describe("A build hook");

export type BuildHookCreate = z.output<typeof buildHookCreateSchema>;

/** The body of `PATCH /api/v1/build_hooks/:id`: only what is given changes. */
export const buildHookPatchSchema = z
  .strictObject({
    title: commonFields.title.optional(),
    enabled: commonFields.enabled.optional(),
    allow_branch_override: commonFields.allow_branch_override.optional(),
    rate_limit_per_minute: commonFields.rate_limit_per_minute.optional(),
    project: commonFields.project.nullable().optional(),
    environment: commonFields.environment.nullable().optional(),
    target: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "Fields of the target to change; the others (secrets included) stay, and null removes an optional one. With another type, the target is replaced and must be complete.",
      ),
  })
  .describe("Changes to a build hook");

export type BuildHookPatch = z.output<typeof buildHookPatchSchema>;

/** A target as answers show it: no secret values, ever. */
export const buildHookTargetViewSchema = z.object({
  type: z.enum(BUILD_HOOK_TARGET_TYPES),
  repository: z.string().optional(),
  workflow: z.string().optional(),
  ref: z.string().optional(),
  inputs: z.record(z.string(), z.string()).optional(),
  project: z.string().optional(),
  variables: z.record(z.string(), z.string()).optional(),
  trigger_token_set: z.boolean().optional(),
  url: z.string().optional().describe("Credentials and the query string are masked"),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe('Custom header names; values are write-only and shown as "[redacted]"'),
  secret_set: z.boolean().optional(),
  jws_secret_set: z.boolean().optional(),
  standard_webhooks_secret_set: z.boolean().optional(),
  ssl_verification: z.boolean().optional(),
});

/** A build hook as answers show it. */
export const buildHookViewSchema = z.object({
  id: z.string().describe("The public handle (bhk_…): not the URL, and not a credential"),
  title: z.string(),
  enabled: z.boolean(),
  url_hint: z
    .string()
    .describe("The URL's path, masked (/build_hooks/AbCd…): the full URL is shown once"),
  target: buildHookTargetViewSchema,
  allow_branch_override: z.boolean(),
  rate_limit_per_minute: z.number().int(),
  project: z.string().nullable().describe("null: derived from the target"),
  environment: z.object({ name: z.string(), type: z.enum(ENVIRONMENT_TYPES) }),
  created_at: z.string(),
  updated_at: z.string(),
  url_rotated_at: z.string().nullable(),
});

export type BuildHookView = z.infer<typeof buildHookViewSchema>;

/** The answer that creates or rotates a hook: the only one with the URL in full. */
export const buildHookCreatedSchema = buildHookViewSchema.extend({
  url: z
    .string()
    .describe(
      "The hook's URL, in this answer only (stored as a SHA-256 hash): POST to it to start a build",
    ),
});

export type BuildHookCreated = z.infer<typeof buildHookCreatedSchema>;

/** One trigger of a hook with the delivery that starts its build. */
export const buildTriggerViewSchema = z.object({
  id: z
    .string()
    .describe("The trigger's id: the build.requested event's (see /api/v1/events/{id})"),
  received_at: z.string(),
  ref: z.string().nullable(),
  title: z.string().nullable(),
  delivery: z
    .object({
      id: z.string().describe("See /api/v1/deliveries/{id} for every attempt"),
      status: z.enum(["pending", "succeeded", "failed", "superseded", "skipped"]),
      in_flight: z.boolean(),
      attempts: z.number().int(),
      last_error: z.string().nullable(),
      next_attempt_at: z.string().nullable(),
      completed_at: z.string().nullable(),
    })
    .nullable()
    .describe("The delivery that starts the build; null when none was planned"),
});

export type BuildTriggerView = z.infer<typeof buildTriggerViewSchema>;
