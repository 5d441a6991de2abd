/**
 * Every route of the management API, `/api/v1`: the one table the router dispatches on and the
 * OpenAPI document is generated from.
 */
import { z } from "zod";
import { type ManualDelivery, ManualDeliveryError } from "../delivery/manual-delivery.js";
import type { DeployEventKind } from "../events/deploy-event.js";
import { deployEventJsonSchema } from "../events/deploy-event-schema.js";
import { sendError, sendJson } from "../server/respond.js";
import {
  notificationCreateSchema,
  notificationPatchSchema,
  notificationPatchSchemas,
  notificationViewSchema,
} from "../services/notifications/notification-schemas.js";
import {
  NotificationInputError,
  type Notifications,
  ReadOnlyTargetError,
  readOnlyMessage,
} from "../services/notifications/notifications.js";
import {
  type ApiTokenRow,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from "../store/api-tokens-repository.js";
import type { Store } from "../store/database.js";
import { listDeliveries } from "../store/deliveries-repository.js";
import {
  DELIVERY_STATUSES,
  deliveryDetailSchema,
  deliverySummarySchema,
  errorSchema,
  eventDetailSchema,
  eventSummarySchema,
  listOf,
  manualAttemptSchema,
  pageQuery,
  problemsSchema,
  replayQuerySchema,
  replayResultSchema,
  testRequestSchema,
  tokenCreatedSchema,
  tokenCreateSchema,
  tokenSchema,
} from "./api-schemas.js";
import {
  deliveriesListQuery,
  deliverySummary,
  handleGetDelivery,
  handleListDeliveries,
} from "./deliveries-api.js";
import { eventsListQuery, handleGetEvent, handleListEvents } from "./events-api.js";
import { buildOpenApiDocument } from "./openapi.js";
import { parseListQuery } from "./query.js";
import { type ApiRoute, problemsOf, sendProblems } from "./router.js";

export interface ApiDependencies {
  store: Store;
  notifications: Notifications;
  manual: ManualDelivery;
  version: string;
}

const E401 = { description: "Missing or invalid bearer token", schema: errorSchema };
const E403 = { description: "The token's scope does not allow this", schema: errorSchema };
const E404 = { description: "Not found", schema: errorSchema };
const E422 = { description: "Validation failed: every problem by field", schema: problemsSchema };
const E429 = {
  description:
    "More than 5 test or resend requests a minute for this token (Retry-After says when)",
  schema: errorSchema,
};

const notificationDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  ...pageQuery,
});

function tokenView(row: ApiTokenRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    token_hint: row.token_hint,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

/** The API's routes, with their handlers bound to `deps`. */
export function apiRoutes(deps: ApiDependencies): ApiRoute[] {
  const { store, notifications, manual } = deps;

  /** Runs a notifications operation, answering its input problems (422) and read-only (409). */
  async function guarded(res: Parameters<ApiRoute["handler"]>[0]["res"], run: () => Promise<void>) {
    try {
      await run();
    } catch (error) {
      if (error instanceof NotificationInputError) sendProblems(res, error.problems);
      else if (error instanceof ReadOnlyTargetError) sendError(res, 409, error.message);
      else if (error instanceof ManualDeliveryError) sendError(res, error.status, error.message);
      else throw error;
    }
  }

  const routes: ApiRoute[] = [
    {
      method: "GET",
      path: "/api/v1/notifications",
      scope: "read",
      operationId: "listNotifications",
      tag: "notifications",
      summary: "List notifications",
      description:
        "Notifications created through the API, then the routing file's targets and default outputs (read-only).",
      responses: {
        200: { description: "All notifications", schema: listOf(notificationViewSchema) },
        401: E401,
      },
      async handler({ res }) {
        const items = await notifications.list();
        sendJson(res, 200, { items, total: items.length, next: null });
      },
    },
    {
      method: "POST",
      path: "/api/v1/notifications",
      scope: "write",
      operationId: "createNotification",
      tag: "notifications",
      summary: "Create a notification",
      body: notificationCreateSchema,
      responses: {
        201: { description: "Created", schema: notificationViewSchema },
        401: E401,
        403: E403,
        422: E422,
      },
      async handler({ res, body }) {
        await guarded(res, async () => {
          const view = await notifications.create(body as Record<string, unknown>);
          sendJson(res, 201, view, { location: `/api/v1/notifications/${view.id}` });
        });
      },
    },
    {
      method: "GET",
      path: "/api/v1/notifications/{id}",
      scope: "read",
      operationId: "getNotification",
      tag: "notifications",
      summary: "Read a notification, with its recent changes of state",
      responses: {
        200: { description: "The notification", schema: notificationViewSchema },
        401: E401,
        404: E404,
      },
      async handler({ res, params }) {
        const view = await notifications.view(params.id as string);
        if (!view) return sendError(res, 404, `no notification ${params.id}`);
        sendJson(res, 200, view);
      },
    },
    {
      method: "PATCH",
      path: "/api/v1/notifications/{id}",
      scope: "write",
      operationId: "updateNotification",
      tag: "notifications",
      summary: "Change a notification",
      description:
        "Only the fields given change. A secret set to null is removed. `enabled: true` re-enables a paused or disabled notification and resets its failure count.",
      body: z.record(z.string(), z.unknown()),
      documentedBody: notificationPatchSchema,
      responses: {
        200: { description: "The notification after the change", schema: notificationViewSchema },
        401: E401,
        403: E403,
        404: E404,
        409: {
          description: "A routing-file target: change it in shipcast.yml",
          schema: errorSchema,
        },
        422: E422,
      },
      async handler({ res, params, body }) {
        await guarded(res, async () => {
          const id = params.id as string;
          const current = await notifications.view(id);
          if (!current) return sendError(res, 404, `no notification ${id}`);
          if (current.read_only) throw new ReadOnlyTargetError(readOnlyMessage(id));
          const schema =
            notificationPatchSchemas[current.kind as keyof typeof notificationPatchSchemas];
          const parsed = schema.safeParse(body);
          if (!parsed.success) {
            return sendProblems(res, problemsOf(parsed.error));
          }
          const view = await notifications.update(id, parsed.data);
          if (!view) return sendError(res, 404, `no notification ${id}`);
          sendJson(res, 200, view);
        });
      },
    },
    {
      method: "DELETE",
      path: "/api/v1/notifications/{id}",
      scope: "write",
      operationId: "deleteNotification",
      tag: "notifications",
      summary: "Delete a notification (its delivery log stays)",
      responses: {
        204: { description: "Deleted" },
        401: E401,
        403: E403,
        404: E404,
        409: { description: "A routing-file target", schema: errorSchema },
      },
      async handler({ res, params }) {
        await guarded(res, async () => {
          if (!(await notifications.remove(params.id as string))) {
            return sendError(res, 404, `no notification ${params.id}`);
          }
          res.writeHead(204).end();
        });
      },
    },
    {
      method: "POST",
      path: "/api/v1/notifications/{id}/test",
      scope: "write",
      operationId: "testNotification",
      tag: "notifications",
      summary: "Send a sample event now and return the attempt",
      description:
        'Body `{"event": "deploy.failed"}` picks the sample\'s kind (default deploy.succeeded). The attempt is answered whether it succeeded or not (see `outcome` and `error`), and recorded in the notification\'s deliveries.',
      body: testRequestSchema,
      bodyOptional: true,
      rateLimited: true,
      responses: {
        200: { description: "The attempt", schema: manualAttemptSchema },
        401: E401,
        403: E403,
        404: E404,
        422: E422,
        429: E429,
      },
      async handler({ res, params, body }) {
        await guarded(res, async () => {
          const { event } = body as { event: DeployEventKind };
          sendJson(res, 200, await manual.test(params.id as string, event));
        });
      },
    },
    {
      method: "GET",
      path: "/api/v1/notifications/{id}/deliveries",
      scope: "read",
      operationId: "listNotificationDeliveries",
      tag: "notifications",
      summary: "A notification's deliveries, newest first",
      query: notificationDeliveriesQuery,
      responses: {
        200: { description: "One page", schema: listOf(deliverySummarySchema) },
        401: E401,
        404: E404,
      },
      async handler({ res, params, url }) {
        const id = params.id as string;
        if (!notifications.has(id) && !(await notifications.view(id))) {
          return sendError(res, 404, `no notification ${id}`);
        }
        const query = parseListQuery(notificationDeliveriesQuery, url, res);
        if (!query) return;
        const page = await listDeliveries(
          store.db,
          { target: id, status: query.status },
          { limit: query.limit, after: query.after },
        );
        sendJson(res, 200, { ...page, items: page.items.map(deliverySummary) });
      },
    },
    {
      method: "POST",
      path: "/api/v1/notifications/{id}/replay",
      scope: "write",
      operationId: "replayNotification",
      tag: "notifications",
      summary: "Re-queue the notification's failed deliveries since a time",
      query: replayQuerySchema,
      responses: {
        202: { description: "Re-queued; the workers send them", schema: replayResultSchema },
        401: E401,
        403: E403,
        404: E404,
        409: {
          description: "The notification is disabled: re-enable it first",
          schema: errorSchema,
        },
      },
      async handler({ res, params, query }) {
        const id = params.id as string;
        const view = await notifications.view(id);
        if (!view) return sendError(res, 404, `no notification ${id}`);
        if (!view.enabled) {
          return sendError(
            res,
            409,
            `notification ${id} is disabled: PATCH {"enabled": true} first`,
          );
        }
        const { since } = query as { since: string };
        const requeued = await manual.replay(id, new Date(since));
        sendJson(res, 202, { requeued, since: new Date(since).toISOString() });
      },
    },
    {
      method: "GET",
      path: "/api/v1/deliveries",
      scope: "read",
      operationId: "listDeliveries",
      tag: "deliveries",
      summary: "Deliveries, newest first",
      query: deliveriesListQuery,
      responses: {
        200: { description: "One page", schema: listOf(deliverySummarySchema) },
        401: E401,
      },
      handler: ({ url, res }) => handleListDeliveries(store, url, res),
    },
    {
      method: "GET",
      path: "/api/v1/deliveries/{id}",
      scope: "read",
      operationId: "getDelivery",
      tag: "deliveries",
      summary: "A delivery with every attempt: request (secrets redacted) and response",
      responses: {
        200: { description: "The delivery", schema: deliveryDetailSchema },
        401: E401,
        404: E404,
      },
      handler: ({ params, res }) => handleGetDelivery(store, params.id as string, res),
    },
    {
      method: "POST",
      path: "/api/v1/deliveries/{id}/redeliver",
      scope: "write",
      operationId: "redeliver",
      tag: "deliveries",
      summary: "Send a delivery again now (same delivery id, a new attempt)",
      rateLimited: true,
      responses: {
        200: { description: "The attempt", schema: manualAttemptSchema },
        401: E401,
        403: E403,
        404: E404,
        409: { description: "The delivery is being attempted right now", schema: errorSchema },
        429: E429,
      },
      async handler({ res, params }) {
        await guarded(res, async () => {
          sendJson(res, 200, await manual.resend(params.id as string));
        });
      },
    },
    {
      method: "GET",
      path: "/api/v1/events",
      scope: "read",
      operationId: "listEvents",
      tag: "events",
      summary: "Received events, newest first",
      query: eventsListQuery,
      responses: {
        200: { description: "One page", schema: listOf(eventSummarySchema) },
        401: E401,
      },
      handler: ({ url, res }) => handleListEvents(store, url, res),
    },
    {
      method: "GET",
      path: "/api/v1/events/{id}",
      scope: "read",
      operationId: "getEvent",
      tag: "events",
      summary: "An event: headers (redacted), payload, normalized event, deliveries",
      responses: {
        200: { description: "The event", schema: eventDetailSchema },
        401: E401,
        404: E404,
      },
      handler: ({ params, req, res }) => handleGetEvent(store, params.id as string, req, res),
    },
    {
      method: "GET",
      path: "/api/v1/tokens",
      scope: "admin",
      operationId: "listTokens",
      tag: "tokens",
      summary: "API tokens (never the tokens themselves)",
      responses: {
        200: { description: "Every token, newest first", schema: listOf(tokenSchema) },
        401: E401,
        403: E403,
      },
      async handler({ res }) {
        const items = (await listApiTokens(store.db)).map(tokenView);
        sendJson(res, 200, { items, total: items.length, next: null });
      },
    },
    {
      method: "POST",
      path: "/api/v1/tokens",
      scope: "admin",
      operationId: "createToken",
      tag: "tokens",
      summary: "Create an API token (admin token only); the token is in this answer only",
      body: tokenCreateSchema,
      responses: {
        201: { description: "Created", schema: tokenCreatedSchema },
        401: E401,
        403: E403,
        422: E422,
      },
      async handler({ res, body }) {
        const { row, token } = await createApiToken(
          store.db,
          body as z.infer<typeof tokenCreateSchema>,
        );
        sendJson(res, 201, { ...tokenView(row), token });
      },
    },
    {
      method: "DELETE",
      path: "/api/v1/tokens/{id}",
      scope: "admin",
      operationId: "revokeToken",
      tag: "tokens",
      summary: "Revoke an API token",
      responses: { 204: { description: "Revoked" }, 401: E401, 403: E403, 404: E404 },
      async handler({ res, params }) {
        if (!(await revokeApiToken(store.db, params.id as string))) {
          return sendError(res, 404, `no live token ${params.id}`);
        }
        res.writeHead(204).end();
      },
    },
    {
      method: "GET",
      path: "/api/v1/schema/event.json",
      scope: "read",
      operationId: "getEventSchema",
      tag: "documents",
      summary: "JSON Schema of the outgoing webhook body (the DeployEvent)",
      responses: { 200: { description: "JSON Schema, draft 2020-12" }, 401: E401 },
      async handler({ res }) {
        sendJson(res, 200, deployEventJsonSchema(), { "content-type": "application/schema+json" });
      },
    },
    {
      method: "GET",
      path: "/api/v1/openapi.json",
      scope: "read",
      operationId: "getOpenApi",
      tag: "documents",
      summary: "This API as an OpenAPI 3.1 document",
      responses: { 200: { description: "OpenAPI 3.1" }, 401: E401 },
      async handler({ res }) {
        sendJson(res, 200, openapi());
      },
    },
  ];
  let document: Record<string, unknown> | undefined;
  const openapi = () => {
    document ??= buildOpenApiDocument(routes, deps.version);
    return document;
  };
  return routes;
}
