import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_EVENT_JSON_SCHEMA_ID } from "../../src/events/deploy-event-schema.js";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

interface Operation {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: { "application/json": { schema: Record<string, unknown> } } };
  responses: Record<string, { content?: { "application/json": { schema: unknown } } }>;
}

describe("published documents", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite");
  });
  afterAll(async () => {
    await app?.close();
  });

  const auth = { headers: { authorization: `Bearer ${SECRETS.admin}` } };

  it("publishes an OpenAPI 3.1 document of every route, behind a token like every route", async () => {
    expect((await fetch(`${app.url}/api/v1/openapi.json`)).status).toBe(401);
    const res = await fetch(`${app.url}/api/v1/openapi.json`, auth);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    const names = operations.map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "GET /api/v1/notifications",
        "POST /api/v1/notifications",
        "GET /api/v1/notifications/{id}",
        "PATCH /api/v1/notifications/{id}",
        "DELETE /api/v1/notifications/{id}",
        "POST /api/v1/notifications/{id}/test",
        "GET /api/v1/notifications/{id}/deliveries",
        "POST /api/v1/notifications/{id}/replay",
        "GET /api/v1/deliveries",
        "GET /api/v1/deliveries/{id}",
        "POST /api/v1/deliveries/{id}/redeliver",
        "GET /api/v1/events",
        "GET /api/v1/events/{id}",
        "GET /api/v1/tokens",
        "POST /api/v1/tokens",
        "DELETE /api/v1/tokens/{id}",
        "GET /api/v1/schema/event.json",
        "GET /api/v1/openapi.json",
      ]),
    );
    for (const { op } of operations) {
      expect(op.operationId).toBeTruthy();
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
    // The create body is the request schema itself: kinds, required URL, write-only secrets.
    const create = doc.paths["/api/v1/notifications"]?.post?.requestBody?.content[
      "application/json"
    ].schema as { oneOf?: Array<{ properties: Record<string, unknown>; required: string[] }> };
    const variants = create.oneOf ?? [];
    expect(variants).toHaveLength(3);
    const webhook = variants.find((v) => JSON.stringify(v.properties.kind).includes("webhook"));
    expect(webhook?.required).toEqual(expect.arrayContaining(["kind", "url"]));
    expect(Object.keys(webhook?.properties ?? {})).toEqual(
      expect.arrayContaining([
        "secret",
        "jws_secret",
        "standard_webhooks_secret",
        "headers",
        "ssl_verification",
      ]),
    );
    const replay = doc.paths["/api/v1/notifications/{id}/replay"]?.post;
    expect(replay?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "id", in: "path", required: true }),
        expect.objectContaining({ name: "since", in: "query", required: true }),
      ]),
    );
  });

  it("publishes the JSON Schema of the webhook body", async () => {
    const res = await fetch(`${app.url}/api/v1/schema/event.json`, auth);
    expect(res.status).toBe(200);
    const schema = (await res.json()) as { $id: string; properties: Record<string, unknown> };
    expect(schema.$id).toBe(DEPLOY_EVENT_JSON_SCHEMA_ID);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["id", "kind", "project"]),
    );
  });
});
