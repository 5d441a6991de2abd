import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenCreatedSchema } from "../../src/api/api-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

describe.each(ENGINES)("API tokens on %s", (engine) => {
  let app: TestShipcast;

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
  }

  async function newToken(scope: "read" | "write") {
    const res = await call("POST", "/api/v1/tokens", SECRETS.admin, {
      name: `${scope} bot`,
      scope,
    });
    expect(res.status).toBe(201);
    return tokenCreatedSchema.parse(res.body);
  }

  beforeAll(async () => {
    app = await startTestShipcast(engine);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("gives a read token the GET routes only", async () => {
    const { token } = await newToken("read");
    expect(token).toMatch(/^shc_/);
    expect((await call("GET", "/api/v1/notifications", token)).status).toBe(200);
    expect((await call("GET", "/api/v1/events", token)).status).toBe(200);
    const create = await call("POST", "/api/v1/notifications", token, {
      kind: "webhook",
      url: "https://example.com/",
    });
    expect(create.status).toBe(403);
    expect(JSON.stringify(create.body)).toContain('needs \\"write\\"');
  });

  it("gives a write token every route but token management", async () => {
    const { token } = await newToken("write");
    const create = await call("POST", "/api/v1/notifications", token, {
      kind: "webhook",
      url: "https://example.com/",
    });
    expect(create.status).toBe(201);
    expect((await call("GET", "/api/v1/tokens", token)).status).toBe(403);
    expect(
      (await call("POST", "/api/v1/tokens", token, { name: "x", scope: "write" })).status,
    ).toBe(403);
  });

  it("stops accepting a token once revoked, and never shows or stores the token itself", async () => {
    const created = await newToken("read");
    expect((await call("GET", "/api/v1/events", created.token)).status).toBe(200);
    const list = await call("GET", "/api/v1/tokens", SECRETS.admin);
    expect(JSON.stringify(list.body)).not.toContain(created.token);
    expect(JSON.stringify(list.body)).toContain(created.token_hint);
    expect((await call("DELETE", `/api/v1/tokens/${created.id}`, SECRETS.admin)).status).toBe(204);
    expect((await call("GET", "/api/v1/events", created.token)).status).toBe(401);
    expect((await call("DELETE", `/api/v1/tokens/${created.id}`, SECRETS.admin)).status).toBe(404);

    const db = app.shipcast.store.db;
    const rows = await db.selectFrom("api_tokens").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(created.token);
    if (engine === "sqlite") {
      await sql`PRAGMA wal_checkpoint(FULL)`.execute(db);
      const files = await sql<{ file: string }>`PRAGMA database_list`.execute(db);
      expect(readFileSync(files.rows[0]?.file as string).toString("latin1")).not.toContain(
        created.token,
      );
    }
  });

  it("refuses unknown and malformed tokens alike", async () => {
    expect((await call("GET", "/api/v1/events", "shc_not-a-real-token")).status).toBe(401);
    expect((await call("GET", "/api/v1/events", "whatever")).status).toBe(401);
    const res = await fetch(`${app.url}/api/v1/events`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });
});
