/**
 * The schemas of `/api/v1/sources`: what a request may say (validated with these: 422 with every
 * problem by field) and what an answer says. The OpenAPI document is generated from them.
 */
import { z } from "zod";
import { SOURCE_KIND_NAMES } from "../../sources/index.js";

/** How long the previous secret stays valid after a rotation, by default: 24 hours. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

/** The longest grace a rotation may ask for: 7 days (Stripe's longest). */
export const MAX_ROTATION_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

const kind = z
  .enum(SOURCE_KIND_NAMES, { error: `expected one of ${SOURCE_KIND_NAMES.join(", ")}` })
  .describe("The sender: github, gitlab, netlify, bitrise, qovery or generic.");

// A secret travels in a header for some kinds (GitLab, Qovery, a Bitrise token), where Node trims
// the value: leading or trailing spaces and control characters could never match.
const secret = z
  .string()
  .min(16, { error: "must be at least 16 characters (try: openssl rand -hex 32)" })
  .max(1024)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, {
    error: "must be printable ASCII without leading or trailing spaces",
  })
  .describe(
    "The secret the sender signs with (write-only). generic: a Standard Webhooks secret, whsec_ and base64.",
  );

const name = z.string().min(1).max(200).describe('What the source is ("marketing site").');

/** The body of `POST /api/v1/sources`. */
export const sourceCreateSchema = z
  .strictObject({
    kind,
    name,
    enabled: z.boolean().default(true).describe("Default true. A disabled source answers 404."),
    secret,
  })
  .describe("A source");

/** The body of `PATCH /api/v1/sources/{id}`. */
export const sourcePatchSchema = z
  .strictObject({
    kind: kind.optional().describe("Cannot change; given, it must be the source's kind."),
    name: name.optional(),
    enabled: z.boolean().optional(),
    secret: secret
      .optional()
      .describe(
        "A new secret. The previous one stays valid until previous_secret_expires_at (default 24 hours), so senders can switch without downtime.",
      ),
    previous_secret_expires_at: z.iso
      .datetime({ offset: true, error: "expected an ISO 8601 time such as 2026-11-23T10:00:00Z" })
      .nullable()
      .optional()
      .describe(
        "Until when the previous secret is accepted (at most 7 days ahead). With a new secret: its grace (default 24 hours from now). Alone: changes the grace of the current rotation; null or a past time ends it now.",
      ),
  })
  .describe("Changes to a source");

export type SourceCreate = z.output<typeof sourceCreateSchema>;
export type SourcePatch = z.output<typeof sourcePatchSchema>;

/** A source as the API shows it: never a secret, only whether it is set. */
export const sourceViewSchema = z.object({
  id: z.string().describe("src_… for sources created here; env_<kind> for environment variables"),
  kind: z.string(),
  name: z.string(),
  enabled: z.boolean().describe("A disabled or unknown source's route answers 404"),
  read_only: z
    .boolean()
    .describe("true for the sources of environment variables: change the variable"),
  managed_by: z.enum(["api", "environment"]),
  url: z
    .string()
    .describe(
      "The URL to give the sender, ready to paste (PUBLIC_URL, else the host this request was sent to)",
    ),
  secret_set: z.boolean(),
  secret_setting: z
    .string()
    .nullable()
    .describe("The environment variable of an environment source; null for API sources"),
  previous_secret_expires_at: z
    .string()
    .nullable()
    .describe("While a rotation's grace lasts: until when the previous secret is still accepted"),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

export type SourceView = z.infer<typeof sourceViewSchema>;
