import { describe, expect, it } from "vitest";
import { RESPONSE_EXCERPT_LIMIT, requestJson } from "../../src/delivery/attempt-record.js";

type Request = Parameters<typeof requestJson>[0];

const reference = (request: Request) =>
  JSON.stringify(
    request.body !== undefined && request.body.length > RESPONSE_EXCERPT_LIMIT
      ? { ...request, body: request.body.slice(0, RESPONSE_EXCERPT_LIMIT) }
      : request,
  );

describe("the request of an attempt record", () => {
  const body = JSON.stringify({ event: "deploy", text: 'quotes " \\ and \u2028 \u0001 é 🚀' });
  const requests: Request[] = [
    { method: "POST", url: "https://a.example/hook", headers: { "x-a": "1" }, body },
    // The same body again (the next target of the event), then another body.
    { method: "POST", url: "https://b.example/hook", headers: { "x-b": "2" }, body },
    { method: "POST", url: "https://b.example/hook", headers: {}, body: `${body} ` },
    // Equal text, another string: still the same JSON.
    { method: "POST", url: "https://c.example/hook", headers: {}, body: [body].join("") },
    { method: "POST", url: "https://d.example/hook", headers: {} },
    { method: "POST", url: "https://e.example/hook", headers: {}, body: "" },
    { body: "only a body" } as unknown as Request,
    // Body not last: written by JSON.stringify itself.
    { body, method: "POST", url: "https://f.example/", headers: {} } as Request,
    { method: "POST", url: "https://g.example/", headers: {}, body: "x".repeat(20_000) },
  ];

  it("is exactly JSON.stringify of the truncated request, whatever the body and its order", () => {
    for (const request of requests) expect(requestJson(request)).toBe(reference(request));
    // And again in reverse, so each body follows another than the first time.
    for (const request of [...requests].reverse()) {
      expect(requestJson(request)).toBe(reference(request));
    }
  });

  it("parses back to the request, with the body cut at the excerpt limit", () => {
    const long = requests.at(-1) as Request;
    const parsed = JSON.parse(requestJson(long)) as Request;
    expect(parsed.body).toHaveLength(RESPONSE_EXCERPT_LIMIT);
    expect(parsed.url).toBe(long.url);
  });
});
