import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listOf } from "../../src/api/api-schemas.js";
import { sourceViewSchema } from "../../src/services/sources/source-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

const KEY = Buffer.alloc(32, 5).toString("base64");
const SECRET = "netlify-jws-never-in-clear-0123";
const WHSEC = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  body: any;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token === ""
        ? {}
        : { authorization: `Bearer ${options.token ?? SECRETS.admin}` }),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text ? JSON.parse(text) : undefined,
  };
}

describe.each(ENGINES)("sources API on %s", (engine) => {
  let app: TestShipcast;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) =>
    call(app.url, method, path, options);

  beforeAll(async () => {
    app = await startTestShipcast(engine, { SHIPCAST_ENCRYPTION_KEY: KEY });
  });
  afterAll(async () => {
    await app.close();
  });

  async function token(scope: "read" | "write"): Promise<string> {
    const created = await api("POST", "/api/v1/tokens", { body: { name: scope, scope } });
    expect(created.status).toBe(201);
    return created.body.token as string;
  }

  it("creates a source and answers its URL ready to paste, never its secret", async () => {
    const created = await api("POST", "/api/v1/sources", {
      body: { kind: "netlify", name: "marketing site", secret: SECRET },
    });
    expect(created.status).toBe(201);
    expect(sourceViewSchema.strict().parse(created.body)).toEqual(created.body);
    const id = created.body.id as string;
    expect(id).toMatch(/^src_[0-9a-z]{20}$/);
    expect(created.headers.get("location")).toBe(`/api/v1/sources/${id}`);
    expect(created.body).toMatchObject({
      kind: "netlify",
      name: "marketing site",
      enabled: true,
      read_only: false,
      managed_by: "api",
      url: `${app.url}/api/sources/${id}/webhooks`,
      secret_set: true,
      secret_setting: null,
      previous_secret_expires_at: null,
    });
    expect(created.text).not.toContain(SECRET);

    const read = await api("GET", `/api/v1/sources/${id}`);
    expect(read.body).toEqual(created.body);
    const listed = await api("GET", "/api/v1/sources");
    expect(
      listOf(sourceViewSchema)
        .parse(listed.body)
        .items.map((s) => s.id),
    ).toContain(id);
    expect(listed.text).not.toContain(SECRET);

    // At rest: sealed, never the secret in clear.
    const row = await app.shipcast.store.db
      .selectFrom("sources")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(row.secrets).toMatch(/^v1\./);
  });

  it("lists the environment-variable sources read-only, and refuses to change them (409)", async () => {
    const listed = await api("GET", "/api/v1/sources");
    const environment = listed.body.items.filter((s: { read_only: boolean }) => s.read_only);
    expect(environment).toEqual([
      expect.objectContaining({
        id: "env_github",
        kind: "github",
        enabled: true,
        managed_by: "environment",
        secret_setting: "WEBHOOK_SECRET",
        url: `${app.url}/api/github/webhooks`,
      }),
      expect.objectContaining({ id: "env_gitlab", secret_setting: "GITLAB_WEBHOOK_SECRET" }),
      expect.objectContaining({ id: "env_netlify", secret_setting: "NETLIFY_JWS_SECRET" }),
    ]);
    expect(listed.text).not.toContain(SECRETS.github);
    expect((await api("GET", "/api/v1/sources/env_gitlab")).body.read_only).toBe(true);
    const patched = await api("PATCH", "/api/v1/sources/env_github", { body: { name: "x" } });
    expect(patched.status).toBe(409);
    expect(patched.body.error).toMatch(/environment variable/);
    expect((await api("DELETE", "/api/v1/sources/env_github")).status).toBe(409);
  });

  it("changes, disables, rotates and deletes a source", async () => {
    const { body } = await api("POST", "/api/v1/sources", {
      body: { kind: "gitlab", name: "group", secret: "gitlab-token-0123456789" },
    });
    const id = body.id as string;
    const renamed = await api("PATCH", `/api/v1/sources/${id}`, {
      body: { name: "platform group", enabled: false },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "platform group", enabled: false });

    const before = Date.now();
    const rotated = await api("PATCH", `/api/v1/sources/${id}`, {
      body: { secret: "gitlab-token-rotated-0123456789" },
    });
    const grace = Date.parse(rotated.body.previous_secret_expires_at) - before;
    expect(grace).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 60_000);
    expect(grace).toBeLessThanOrEqual(24 * 3600 * 1000 + 60_000);
    expect(rotated.text).not.toContain("gitlab-token");

    expect((await api("DELETE", `/api/v1/sources/${id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/sources/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/sources/${id}`)).status).toBe(404);
    expect((await api("PATCH", `/api/v1/sources/${id}`, { body: { name: "x" } })).status).toBe(404);
  });

  it.each([
    ["an unknown kind", { kind: "jenkins", name: "x", secret: "0123456789abcdefgh" }, "kind"],
    ["no secret", { kind: "gitlab", name: "x" }, "secret"],
    ["a short secret", { kind: "gitlab", name: "x", secret: "short" }, "secret"],
    [
      "a secret with trailing space",
      { kind: "qovery", name: "x", secret: "0123456789abcdefgh " },
      "secret",
    ],
    [
      "a generic secret that is not whsec_",
      { kind: "generic", name: "x", secret: "plain-secret-0123456789" },
      "secret",
    ],
    ["no name", { kind: "gitlab", secret: "0123456789abcdefgh" }, "name"],
    [
      "an unknown field",
      { kind: "gitlab", name: "x", secret: "0123456789abcdefgh", url: "x" },
      "(body)",
    ],
  ])(
    "refuses %s with 422 naming the field, without echoing the secret",
    async (_name, body, field) => {
      const answer = await api("POST", "/api/v1/sources", { body });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toBe("validation failed");
      expect(answer.body.problems.map((p: { field: string }) => p.field)).toContain(field);
      expect(answer.text).not.toContain("0123456789abcdefgh");
    },
  );

  it("refuses a change of kind and a grace beyond 7 days (422)", async () => {
    const { body } = await api("POST", "/api/v1/sources", {
      body: { kind: "generic", name: "ci", secret: WHSEC },
    });
    const kind = await api("PATCH", `/api/v1/sources/${body.id}`, { body: { kind: "gitlab" } });
    expect(kind.status).toBe(422);
    expect(kind.body.problems).toEqual([
      { field: "kind", message: "cannot change; create a new source instead" },
    ]);
    const far = new Date(Date.now() + 8 * 24 * 3600 * 1000).toISOString();
    const grace = await api("PATCH", `/api/v1/sources/${body.id}`, {
      body: {
        secret: `whsec_${Buffer.alloc(32, 4).toString("base64")}`,
        previous_secret_expires_at: far,
      },
    });
    expect(grace.status).toBe(422);
    expect(grace.body.problems[0].field).toBe("previous_secret_expires_at");
  });

  it("lets a read token list and read, a write token change; 401 without a token", async () => {
    const read = await token("read");
    const write = await token("write");
    expect((await api("GET", "/api/v1/sources", { token: read })).status).toBe(200);
    const refused = await api("POST", "/api/v1/sources", {
      token: read,
      body: { kind: "qovery", name: "org", secret: "qovery-secret-0123456789" },
    });
    expect(refused.status).toBe(403);
    const created = await api("POST", "/api/v1/sources", {
      token: write,
      body: { kind: "qovery", name: "org", secret: "qovery-secret-0123456789" },
    });
    expect(created.status).toBe(201);
    expect(
      (await api("PATCH", `/api/v1/sources/${created.body.id}`, { token: read, body: {} })).status,
    ).toBe(403);
    expect(
      (await api("DELETE", `/api/v1/sources/${created.body.id}`, { token: read })).status,
    ).toBe(403);
    expect((await api("GET", "/api/v1/sources", { token: "" })).status).toBe(401);
    expect((await api("GET", "/api/v1/schema/generic.json", { token: read })).status).toBe(200);
  });

  it("shows URLs with the protocol a reverse proxy received (X-Forwarded-Proto)", async () => {
    const listed = await api("GET", "/api/v1/sources", {
      headers: { "x-forwarded-proto": "https" },
    });
    const host = new URL(app.url).host;
    for (const item of listed.body.items)
      expect(item.url).toMatch(new RegExp(`^https://${host}/api/`));
  });

  it("publishes the generic body's JSON Schema next to the event schema, and documents the routes", async () => {
    const schema = await api("GET", "/api/v1/schema/generic.json");
    expect(schema.status).toBe(200);
    expect(schema.headers.get("content-type")).toMatch(/^application\/schema\+json/);
    expect(schema.body.$id).toBe("https://shipcast.dev/schemas/generic/v1.json");
    const openapi = await api("GET", "/api/v1/openapi.json");
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/sources",
        "/api/v1/sources/{id}",
        "/api/v1/schema/generic.json",
      ]),
    );
    expect(openapi.body.paths["/api/v1/sources"].post["x-shipcast-scope"]).toBe("write");
  });
});

describe("sources API settings", () => {
  it("shows URLs under PUBLIC_URL when it is set", async () => {
    const app = await startTestShipcast("sqlite", {
      SHIPCAST_ENCRYPTION_KEY: KEY,
      PUBLIC_URL: "https://hooks.example.com/shipcast/",
    });
    try {
      const created = await call(app.url, "POST", "/api/v1/sources", {
        body: { kind: "bitrise", name: "ios", secret: "bitrise-secret-0123456789" },
      });
      expect(created.body.url).toBe(
        `https://hooks.example.com/shipcast/api/sources/${created.body.id}/webhooks`,
      );
    } finally {
      await app.close();
    }
  });

  it("refuses a secret while SHIPCAST_ENCRYPTION_KEY is unset, saying how to make a key", async () => {
    const app = await startTestShipcast("sqlite");
    try {
      const refused = await call(app.url, "POST", "/api/v1/sources", {
        body: { kind: "gitlab", name: "x", secret: "gitlab-secret-0123456789" },
      });
      expect(refused.status).toBe(422);
      expect(refused.body.problems).toEqual([
        {
          field: "secret",
          message: expect.stringMatching(/SHIPCAST_ENCRYPTION_KEY.*openssl rand/),
        },
      ]);
    } finally {
      await app.close();
    }
  });
});
