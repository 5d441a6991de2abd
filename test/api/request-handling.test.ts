import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

const MIB = 1024 * 1024;

describe("how the API handles requests", () => {
  let app: TestShipcast;
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast("sqlite");
  });
  afterAll(async () => {
    await app?.close();
  });

  async function call(path: string, init: RequestInit = {}) {
    const res = await fetch(`${app.url}${path}`, init);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text === "" ? undefined : JSON.parse(text)) as { error?: string } | undefined,
    };
  }

  it("answers 404 for an unknown route and 405 with Allow for another method, before any token check", async () => {
    const unknown = await call("/api/v1/nope");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "no route for GET /api/v1/nope" });
    expect((await call("/api/v1")).status).toBe(404);

    const put = await call("/api/v1/notifications", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
    expect(put.body).toEqual({ error: "PUT is not supported on /api/v1/notifications" });
    const head = await call("/api/v1/events", { method: "HEAD" });
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toBe("GET");
    const options = await call("/api/v1/notifications/ntf_x/test", { method: "OPTIONS" });
    expect(options.status).toBe(405);
    expect(options.headers.get("allow")).toBe("POST");
  });

  it("answers JSON in UTF-8 and ignores trailing slashes", async () => {
    const res = await call("/api/v1/events/", { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.body).toMatchObject({ items: [], total: 0, next: null });
  });

  it("reads a body as JSON whatever Content-Type says, as curl -d sends it", async () => {
    for (const contentType of ["application/x-www-form-urlencoded", "text/plain", undefined]) {
      const res = await call("/api/v1/tokens", {
        method: "POST",
        headers: { ...auth, ...(contentType ? { "content-type": contentType } : {}) },
        body: JSON.stringify({ name: `sent as ${contentType}`, scope: "read" }),
      });
      expect(res.status, String(contentType)).toBe(201);
    }
    const malformed = await call("/api/v1/tokens", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: "the request body is not valid JSON" });
    const empty = await call("/api/v1/tokens", { method: "POST", headers: auth });
    expect(empty.status).toBe(400);
  });

  it("refuses a body nesting deeper than 64 levels with 422, so no depth of valid JSON answers 500", async () => {
    const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const requests: Array<[string, string, string]> = [
      [
        "POST",
        "/api/v1/notifications",
        `{"kind":"webhook","url":"https://example.com/","events":[${deep(20_000)}]}`,
      ],
      ["POST", "/api/v1/notifications", `{"kind":${deep(200_000)}}`],
      ["POST", "/api/v1/tokens", deep(65)],
      ["PATCH", "/api/v1/notifications/ntf_doesnotexist0000", `{"headers":{"a":${deep(20_000)}}}`],
      ["POST", "/api/v1/notifications/ntf_doesnotexist0000/test", `{"event":${deep(65)}}`],
    ];
    for (const [method, path, body] of requests) {
      const res = await call(path, { method, headers: auth, body });
      expect(res.status, `${method} ${path}`).toBe(422);
      expect(res.body).toEqual({
        error: "validation failed",
        problems: [{ field: "(body)", message: "nests deeper than 64 levels" }],
      });
    }
    // 64 levels are read, and brackets and quotes inside strings are not nesting.
    const shallow = await call("/api/v1/tokens", {
      method: "POST",
      headers: auth,
      body: `{"name":"x","scope":"read","extra":${deep(63)}}`,
    });
    expect(shallow.status).toBe(422);
    expect(JSON.stringify(shallow.body)).not.toContain("nests deeper");
    const brackets = await call("/api/v1/tokens", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: `"\\[${"[{".repeat(48)}`, scope: "read" }),
    });
    expect(brackets.status).toBe(201);
  });

  it("refuses a body above 1 MiB with 413, whether declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(MIB), scope: "read" });
    const declared = await call("/api/v1/tokens", { method: "POST", headers: auth, body: big });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ error: `request body larger than ${MIB} bytes` });

    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MIB) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const streamed = await call("/api/v1/tokens", {
      method: "POST",
      headers: auth,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("checks the token before the path, and answers 400 for malformed percent-encoding in it", async () => {
    expect((await call("/api/v1/events/%E0%A4%A")).status).toBe(401);
    const malformed = await call("/api/v1/events/%E0%A4%A", { headers: auth });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: "malformed percent-encoding in the path" });
    const encoded = await call(`/api/v1/events/${encodeURIComponent("evt/ü")}`, { headers: auth });
    expect(encoded.body).toEqual({ error: "no event evt/ü" });
  });

  it("answers 400 naming every field of an invalid query", async () => {
    const res = await call("/api/v1/deliveries?limit=0&status=lost", { headers: auth });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatch(/^invalid query: /);
    expect(res.body?.error).toContain("limit: ");
    expect(res.body?.error).toContain("status: ");
  });

  it("counts resends against the limit of 5 a minute per token, answering 429 with Retry-After", async () => {
    const path = "/api/v1/deliveries/dlv_doesnotexist/redeliver";
    for (let i = 0; i < 5; i++) {
      const res = await call(path, { method: "POST", headers: auth });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "no delivery dlv_doesnotexist" });
    }
    const limited = await call(path, { method: "POST", headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body?.error).toContain("at most 5 a minute per token");
  });
});
