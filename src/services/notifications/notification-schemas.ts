/**
 * The schemas of `/api/v1/notifications`: what a request may say (validated with these, 422 with
 * every problem by field) and what a response says. The OpenAPI document is generated from the
 * same objects, so the published API cannot drift from the one enforced.
 *
 * The shape follows the anchors users know (REFERENCE.md, "Management API objects"): Bitrise's
 * `url`/`events`/`headers`/write-only `secret`, Qovery's `description`/`enabled`/filters and
 * `…_set` flags for secrets, GitLab's SSL verification and branch filter.
 */
import { z } from "zod";
import { DEPLOY_EVENT_KINDS, type EnvironmentType } from "../../events/deploy-event.js";
import { environmentTypeSchema } from "../environment-type-schema.js";

/** Kinds that can be created through the API. */
export const NOTIFICATION_KINDS = ["webhook", "slack", "email"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** At most this many custom headers on a webhook (as GitLab allows). */
export const MAX_CUSTOM_HEADERS = 20;

const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: (issue) => (issue.input === undefined ? "required" : "must be an http(s) URL"),
  })
  .max(2048, { error: "must be at most 2048 characters" });

const eventKind = z.enum(DEPLOY_EVENT_KINDS, {
  error: (issue) =>
    `unknown event kind ${JSON.stringify(issue.input)} (known: ${DEPLOY_EVENT_KINDS.join(", ")})`,
});

/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers Shipcast sets itself; a custom header may not replace them. */
export const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "user-agent",
  "transfer-encoding",
  "connection",
  "x-hub-signature-256",
  "x-nf-sign",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

const customHeaders = z.record(z.string(), z.string().max(4096)).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS) {
    ctx.addIssue({ code: "custom", message: `at most ${MAX_CUSTOM_HEADERS} headers` });
  }
  for (const name of names) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) {
      ctx.addIssue({ code: "custom", path: [name], message: "not a valid header name" });
    } else if (RESERVED_HEADERS.has(lower) || lower.startsWith("x-shipcast-")) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "set by Shipcast; cannot be replaced",
      });
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a header value must not carry them
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(headers[name] ?? "")) {
      ctx.addIssue({ code: "custom", path: [name], message: "control characters are not allowed" });
    }
  }
});

const whsecSecret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, {
  error: "must be whsec_ followed by a base64 key",
});

/**
 * The filters every kind shares. Empty lists (or leaving them out) mean "every", as in Qovery.
 */
const filterFields = {
  /** `"all"` or a list of event kinds. Default `"all"`. */
  events: z
    .union([z.literal("all"), z.array(eventKind).min(1)], {
      error: `expected "all" or a non-empty list of event kinds (${DEPLOY_EVENT_KINDS.join(", ")})`,
    })
    .describe('"all" or a list of event kinds. Default "all".'),
  /** Environment types (PRODUCTION, STAGING, DEVELOPMENT, PREVIEW). Default: every one. */
  environment_types: z
    .array(environmentTypeSchema)
    .max(4)
    .describe("Environment types (PRODUCTION, STAGING, DEVELOPMENT, PREVIEW). Empty: every one."),
  /** Project name patterns, case-insensitive, `*` wildcard. Default: every project. */
  project_names: z
    .array(z.string().min(1).max(200))
    .max(50)
    .describe(
      "Project name patterns (also matched against the repository path), case-insensitive, * wildcard. Empty: every project.",
    ),
  /** Branch patterns with GitLab semantics (`production/*` matches `production/a/b`). */
  branches: z
    .array(z.string().min(1).max(255))
    .max(50)
    .describe(
      "Branch patterns, case-sensitive, * matches any run of characters including /. Empty: every branch.",
    ),
};

const commonFields = {
  /** What it is for. Default "". */
  description: z.string().max(500).describe('What the notification is for. Default "".'),
  /** Default true. PATCH `true` re-enables a paused or disabled notification and resets its health. */
  enabled: z
    .boolean()
    .describe(
      "Default true. Setting true again re-enables a paused or disabled notification and resets its failure count.",
    ),
  ...filterFields,
};

/** Settings of each kind, secrets included; for creation. */
const kindFields = {
  webhook: {
    url: httpUrl.describe(
      "Receiver URL. Credentials in it (https://user:pass@host/) are sent as Basic authorization and stored encrypted.",
    ),
    headers: customHeaders.describe(
      `Custom headers (at most ${MAX_CUSTOM_HEADERS}); values are write-only and stored encrypted.`,
    ),
    secret: z.string().min(1).max(1024).describe("HMAC secret: X-Hub-Signature-256. Write-only."),
    jws_secret: z
      .string()
      .min(1)
      .max(1024)
      .describe('JWS secret: X-Nf-Sign (HS256, iss "shipcast", sha256 of the body). Write-only.'),
    standard_webhooks_secret: z
      .union([whsecSecret, z.array(whsecSecret).min(1).max(5)])
      .describe(
        "Standard Webhooks secret (whsec_…), or a list while rotating: every one signs. Write-only.",
      ),
    ssl_verification: z.boolean().describe("Verify the receiver's TLS certificate. Default true."),
  },
  slack: {
    url: httpUrl.describe(
      "Slack incoming-webhook URL. A credential: write-only, stored encrypted.",
    ),
  },
  email: {
    to: z.array(z.email()).min(1).max(50).describe("Recipients."),
  },
} as const;

/** Which settings of a kind are secrets: write-only through the API, encrypted at rest. */
export const SECRET_FIELDS: Record<NotificationKind, readonly string[]> = {
  webhook: ["secret", "jws_secret", "standard_webhooks_secret", "headers"],
  slack: ["url"],
  email: [],
};

function createSchema<K extends NotificationKind>(kind: K) {
  const fields = kindFields[kind] as Record<string, z.ZodType>;
  const required = kind === "email" ? ["to"] : ["url"];
  const shape: Record<string, z.ZodType> = {
    kind: z.literal(kind),
    description: commonFields.description.default(""),
    enabled: commonFields.enabled.default(true),
    events: commonFields.events.default("all"),
    environment_types: commonFields.environment_types.default([]),
    project_names: commonFields.project_names.default([]),
    branches: commonFields.branches.default([]),
  };
  for (const [name, schema] of Object.entries(fields)) {
    if (name === "ssl_verification") shape[name] = schema.default(true);
    else shape[name] = required.includes(name) ? schema : schema.optional();
  }
  return z.strictObject(shape).describe(`A ${kind} notification`);
}

function patchSchema<K extends NotificationKind>(kind: K) {
  const fields = kindFields[kind] as Record<string, z.ZodType>;
  const shape: Record<string, z.ZodType> = { kind: z.literal(kind).optional() };
  for (const [name, schema] of Object.entries(commonFields)) shape[name] = schema.optional();
  for (const [name, schema] of Object.entries(fields)) {
    // A secret can be removed with null (the URL of a kind cannot: it is required).
    const removable = SECRET_FIELDS[kind].includes(name) && name !== "url";
    shape[name] = removable ? schema.nullable().optional() : schema.optional();
  }
  return z.strictObject(shape).describe(`Changes to a ${kind} notification`);
}

/** The body of `POST /api/v1/notifications`. */
export const notificationCreateSchema = z.discriminatedUnion(
  "kind",
  [createSchema("webhook"), createSchema("slack"), createSchema("email")],
  { error: `kind: expected one of ${NOTIFICATION_KINDS.join(", ")}` },
);

/** The body of `PATCH /api/v1/notifications/:id`, per kind (the kind cannot change). */
export const notificationPatchSchemas: Record<
  NotificationKind,
  z.ZodType<Record<string, unknown>>
> = {
  webhook: patchSchema("webhook"),
  slack: patchSchema("slack"),
  email: patchSchema("email"),
};

/** For the OpenAPI document: any kind's PATCH body. */
export const notificationPatchSchema = z.union([
  notificationPatchSchemas.webhook,
  notificationPatchSchemas.slack,
  notificationPatchSchemas.email,
]);

/** A validated creation request. */
export type NotificationCreate = z.output<typeof notificationCreateSchema> & {
  kind: NotificationKind;
};

/** The filters of a stored notification. */
export interface NotificationFilters {
  events: "all" | Array<(typeof DEPLOY_EVENT_KINDS)[number]>;
  environment_types: EnvironmentType[];
  project_names: string[];
  branches: string[];
}

const stateChangeSchema = z.object({
  at: z.string(),
  state: z.enum(["active", "paused", "disabled"]),
  reason: z.string(),
  consecutive_failures: z.number().int(),
  disabled_until: z.string().nullable(),
  actor: z.enum(["deliveries", "api"]),
});

/** A notification as the API shows it: secrets only as `…_set` flags. */
export const notificationViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  state: z
    .enum(["active", "paused", "disabled"])
    .describe("paused: waiting until disabled_until after failures; disabled: until re-enabled"),
  read_only: z
    .boolean()
    .describe("true for targets of the routing file and default outputs: change them there"),
  source: z.enum(["api", "file", "default"]),
  events: z.union([z.literal("all"), z.array(z.string())]),
  environment_types: z.array(z.string()),
  project_names: z.array(z.string()),
  branches: z.array(z.string()),
  url: z.string().optional().describe("Credentials and Slack tokens are masked"),
  url_set: z.boolean().optional(),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe('Custom header names; values are write-only and shown as "[redacted]"'),
  secret_set: z.boolean().optional(),
  jws_secret_set: z.boolean().optional(),
  standard_webhooks_secret_set: z.boolean().optional(),
  ssl_verification: z.boolean().optional(),
  to: z.array(z.string()).optional(),
  consecutive_failures: z.number().int(),
  disabled_until: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  state_changes: z
    .array(stateChangeSchema)
    .optional()
    .describe("Recent changes of state, newest first (detail only)"),
});

export type NotificationView = z.infer<typeof notificationViewSchema>;
