/**
 * `/api/v1/notifications`: the targets managed through the API (and the routing file's,
 * read-only), their test sends, deliveries and replays.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  notificationCreateSchema,
  notificationPatchSchema,
  notificationViewSchema,
} from "../services/notifications/notification-schemas.js";
import type { Services } from "../services/services.js";
import type { ApiApp } from "./api-env.js";
import {
  deliverySummarySchema,
  errorSchema,
  listOf,
  manualAttemptSchema,
  notificationDeliveriesQuerySchema,
  replayQuerySchema,
  replayResultSchema,
  testRequestSchema,
} from "./api-schemas.js";
import { jsonBody } from "./json-body.js";
import {
  E401,
  E403,
  E404,
  E422,
  E429,
  idParam,
  jsonAnswer,
  jsonRequest,
  type Requires,
  scoped,
} from "./route-docs.js";

export interface NotificationsRoutesOptions {
  services: Services;
  requires: Requires;
}

/** Registers the notifications routes on `app`. */
export function notificationsRoutes(app: ApiApp, options: NotificationsRoutesOptions): void {
  const { services, requires } = options;
  const { notifications, deliveries } = services;

  app.openapi(
    createRoute({
      method: "get",
      path: "/notifications",
      operationId: "listNotifications",
      tags: ["notifications"],
      summary: "List notifications",
      description:
        "Notifications created through the API, then the routing file's targets and default outputs (read-only).",
      ...scoped(requires, "read"),
      responses: {
        200: jsonAnswer("All notifications", listOf(notificationViewSchema)),
        401: E401,
      },
    }),
    async (c) => {
      const items = await notifications.list();
      return c.json({ items, total: items.length, next: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notifications",
      operationId: "createNotification",
      tags: ["notifications"],
      summary: "Create a notification",
      ...scoped(requires, "write", jsonBody()),
      request: { body: jsonRequest(notificationCreateSchema) },
      responses: {
        201: jsonAnswer("Created", notificationViewSchema),
        401: E401,
        403: E403,
        422: E422,
      },
    }),
    async (c) => {
      const view = await notifications.create(c.req.valid("json"));
      return c.json(view, 201, { location: `/api/v1/notifications/${view.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/notifications/{id}",
      operationId: "getNotification",
      tags: ["notifications"],
      summary: "Read a notification, with its recent changes of state",
      ...scoped(requires, "read"),
      request: { params: idParam },
      responses: {
        200: jsonAnswer("The notification", notificationViewSchema),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await notifications.view(id);
      if (!view) return c.json({ error: `no notification ${id}` }, 404);
      return c.json(view, 200);
    },
  );

  // A PATCH is validated in two steps: any object first, then, once the notification is found
  // (404) and writable (409), the schema of its kind. The document shows the body by kind.
  const update = {
    method: "patch" as const,
    path: "/notifications/{id}" as const,
    operationId: "updateNotification",
    tags: ["notifications"],
    summary: "Change a notification",
    description:
      "Only the fields given change. A secret set to null is removed. `enabled: true` re-enables a paused or disabled notification and resets its failure count.",
    responses: {
      200: jsonAnswer("The notification after the change", notificationViewSchema),
      401: E401,
      403: E403,
      404: E404,
      409: jsonAnswer("A routing-file target: change it in shipcast.yml", errorSchema),
      422: E422,
    },
  };
  app.openAPIRegistry.registerPath({
    ...update,
    "x-shipcast-scope": "write",
    request: { params: idParam, body: jsonRequest(notificationPatchSchema) },
  });
  app.openapi(
    createRoute({
      ...update,
      ...scoped(requires, "write", jsonBody()),
      hide: true,
      request: { params: idParam, body: jsonRequest(z.record(z.string(), z.unknown())) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await notifications.change(id, c.req.valid("json"));
      if (!view) return c.json({ error: `no notification ${id}` }, 404);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/notifications/{id}",
      operationId: "deleteNotification",
      tags: ["notifications"],
      summary: "Delete a notification (its delivery log stays)",
      ...scoped(requires, "write"),
      request: { params: idParam },
      responses: {
        204: { description: "Deleted" },
        401: E401,
        403: E403,
        404: E404,
        409: jsonAnswer("A routing-file target", errorSchema),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await notifications.remove(id))) {
        return c.json({ error: `no notification ${id}` }, 404);
      }
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notifications/{id}/test",
      operationId: "testNotification",
      tags: ["notifications"],
      summary: "Send a sample event now and return the attempt",
      description:
        'Body `{"event": "deploy.failed"}` picks the sample\'s kind (default deploy.succeeded). The attempt is answered whether it succeeded or not (see `outcome` and `error`), and recorded in the notification\'s deliveries.',
      ...scoped(requires, "write", jsonBody({ optional: true })),
      request: { params: idParam, body: jsonRequest(testRequestSchema, false) },
      responses: {
        200: jsonAnswer("The attempt", manualAttemptSchema),
        401: E401,
        403: E403,
        404: E404,
        422: E422,
        429: E429,
      },
    }),
    async (c) => {
      const { event } = c.req.valid("json");
      const { id } = c.req.valid("param");
      return c.json(await deliveries.test(id, event, c.var.principal.key), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/notifications/{id}/deliveries",
      operationId: "listNotificationDeliveries",
      tags: ["notifications"],
      summary: "A notification's deliveries, newest first",
      ...scoped(requires, "read"),
      request: { params: idParam, query: notificationDeliveriesQuerySchema },
      responses: {
        200: jsonAnswer("One page", listOf(deliverySummarySchema)),
        401: E401,
        404: E404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { status, limit, cursor } = c.req.valid("query");
      const page = await deliveries.listOfNotification(id, status, { limit, after: cursor });
      if (!page) return c.json({ error: `no notification ${id}` }, 404);
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notifications/{id}/replay",
      operationId: "replayNotification",
      tags: ["notifications"],
      summary: "Re-queue the notification's failed deliveries since a time",
      ...scoped(requires, "write"),
      request: { params: idParam, query: replayQuerySchema },
      responses: {
        202: jsonAnswer("Re-queued; the workers send them", replayResultSchema),
        401: E401,
        403: E403,
        404: E404,
        409: jsonAnswer("The notification is disabled: re-enable it first", errorSchema),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const since = new Date(c.req.valid("query").since);
      return c.json(await deliveries.replay(id, since), 202);
    },
  );
}
