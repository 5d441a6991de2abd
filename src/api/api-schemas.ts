/**
 * Schemas of the API's answers (and of the small request bodies that have no home elsewhere).
 * The OpenAPI document is generated from them; the API tests validate real answers against them.
 */
import { z } from "zod";
import { DEPLOY_EVENT_KINDS } from "../events/deploy-event.js";
import { decodeCursor } from "../services/paging.js";

export const errorSchema = z.object({ error: z.string() }).describe("What went wrong");

export const problemsSchema = z
  .object({
    error: z.literal("validation failed"),
    problems: z.array(z.object({ field: z.string(), message: z.string() })),
  })
  .describe("Every problem of the request, by field");

/** A list answer: one page, newest first, and the cursor of the next. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    next: z.string().nullable().describe("Cursor of the next page (pass as ?cursor=), or null"),
  });
}

/** `?cursor=`: the `next` of an earlier page, parsed to the id the next page starts after. */
const cursorParam = z
  .string()
  .transform((cursor, ctx) => {
    const after = decodeCursor(cursor);
    if (after === undefined) {
      ctx.addIssue({ code: "custom", message: "not a cursor this API returned" });
      return z.NEVER;
    }
    return after;
  })
  .optional()
  .describe("The `next` of the previous page");

/** The paging parameters of every list: `limit` and `cursor` (parsed to the id to start after). */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .describe("Page size (1-200). Default 50"),
  cursor: cursorParam,
};

export const DELIVERY_STATUSES = [
  "pending",
  "succeeded",
  "failed",
  "superseded",
  "skipped",
] as const;

/** `GET /api/v1/deliveries`: filtered by event, target and status. */
export const deliveriesQuerySchema = z.object({
  event: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  ...pageQuery,
});

/** `GET /api/v1/notifications/{id}/deliveries`: filtered by status. */
export const notificationDeliveriesQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  ...pageQuery,
});

export const EVENT_STATUSES = ["pending", "processed", "ignored", "failed"] as const;

/** `GET /api/v1/events`: filtered by source kind, source id and status. */
export const eventsQuerySchema = z.object({
  source: z
    .enum(["github", "gitlab", "netlify", "bitrise", "qovery", "generic", "shipcast"])
    .optional(),
  source_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("Only the events this source received (src_…, or env_github for WEBHOOK_SECRET's)"),
  status: z.enum(EVENT_STATUSES).optional(),
  ...pageQuery,
});

export const deliverySummarySchema = z.object({
  id: z
    .string()
    .describe("Delivery id: also the X-Shipcast-Delivery header, stable across retries"),
  event_id: z.string(),
  target: z.string().describe("Routing-file target name or notification id"),
  kind: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  in_flight: z.boolean(),
  attempts: z.number().int(),
  next_attempt_at: z.string().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
});

const requestSchema = z
  .object({
    method: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()).describe("Secrets redacted"),
    body: z.string().optional(),
  })
  .describe("The request sent, secrets redacted");

export const attemptSchema = z.object({
  attempt: z.number().int(),
  started_at: z.string(),
  duration_ms: z.number().int(),
  outcome: z.enum(["succeeded", "retry", "failed", "skipped"]),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  response: z.string().nullable().describe("The answer's body, truncated at 16 KB"),
  response_headers: z.record(z.string(), z.string()).nullable(),
  request: requestSchema.nullable(),
  next_attempt_at: z.string().nullable(),
});

export const deliveryDetailSchema = deliverySummarySchema.extend({
  attempts: z
    .array(attemptSchema)
    .describe("Every attempt still in the log (DELIVERY_LOG_RETENTION), oldest first"),
});

export const manualAttemptSchema = z.object({
  delivery_id: z.string(),
  event_id: z.string(),
  target: z.string(),
  attempt: z.number().int(),
  status: z.string().describe("The delivery's status after this attempt"),
  outcome: z.enum(["succeeded", "retry", "failed", "skipped"]),
  started_at: z.string(),
  duration_ms: z.number().int(),
  http_status: z.number().int().nullable(),
  error: z.string().nullable().describe("Why it failed, or why it was refused"),
  response: z.string().nullable(),
  response_headers: z.record(z.string(), z.string()).nullable(),
  request: requestSchema.nullable(),
});

export const testRequestSchema = z.strictObject({
  event: z
    .enum(DEPLOY_EVENT_KINDS, {
      error: `expected one of ${DEPLOY_EVENT_KINDS.join(", ")}`,
    })
    .default("deploy.succeeded")
    .describe("Kind of the sample event. Default deploy.succeeded"),
});

export const replayQuerySchema = z.object({
  since: z.iso
    .datetime({ offset: true, error: "expected an ISO 8601 time such as 2026-11-23T10:00:00Z" })
    .describe("Re-queue the failed deliveries created at or after this time"),
});

export const replayResultSchema = z.object({
  requeued: z.number().int().describe("How many failed deliveries are pending again"),
  since: z.string(),
});

export const eventSummarySchema = z.object({
  id: z.string(),
  source: z.string(),
  source_id: z
    .string()
    .nullable()
    .describe("The source that received it (src_…, env_<kind>); null for Shipcast's own"),
  source_event: z.string().nullable(),
  status: z.enum(EVENT_STATUSES),
  reason: z.string().nullable(),
  kind: z.string().nullable(),
  project: z.string().nullable(),
  environment: z.string().nullable(),
  received_at: z.string(),
  processed_at: z.string().nullable(),
});

export const eventDetailSchema = eventSummarySchema.extend({
  headers: z.record(z.string(), z.string()).nullable().describe("Null once pruned"),
  payload: z.unknown().describe("The payload as received; null once pruned"),
  event: z.unknown().describe("The normalized DeployEvent (see /api/v1/schema/event.json)"),
  deliveries: z.array(deliverySummarySchema),
});

export { tokenCreateSchema } from "../services/tokens/tokens-service.js";

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(["read", "write"]),
  token_hint: z.string().describe("The token's first characters"),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export const tokenCreatedSchema = tokenSchema.extend({
  token: z.string().describe("The token itself: shown this once, stored only as a hash"),
});
