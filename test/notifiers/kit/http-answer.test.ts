import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifyAnswer,
  classifyRequestError,
  type HttpAnswer,
  RESPONSE_EXCERPT_LIMIT,
  readAnswer,
} from "../../../src/notifiers/kit/http-answer.js";
import { createOutboundHttp } from "../../../src/outbound/http-client.js";

/** How many bytes the endless receiver wrote before the reader let go. */
let endlessWritten = 0;
let endlessClosed: Promise<void> = Promise.resolve();

/** A real receiver whose answers misbehave in the ways the reader must survive. */
const handlers: Record<string, (res: ServerResponse) => void> = {
  "/short": (res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"),
  "/empty": (res) => res.writeHead(204).end(),
  // Promises 100 kB, sends a little, then drops the connection mid-body.
  "/cut-off": (res) => {
    res.writeHead(502, { "content-length": "100000" });
    res.write("upstream went away", () => res.socket?.destroy());
  },
  // Streams without end until the client lets go.
  "/endless": (res) => {
    endlessWritten = 0;
    endlessClosed = new Promise((resolve) => res.on("close", () => resolve()));
    res.writeHead(200, { "content-type": "text/plain" });
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) endlessWritten += chunk.length;
      if (!res.destroyed) res.once("drain", pump);
    };
    pump();
  },
  // A three-byte character straddles the limit.
  "/split-character": (res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(`${"a".repeat(RESPONSE_EXCERPT_LIMIT - 1)}€tail`);
  },
};

let server: Server;
let baseUrl = "";
const http = createOutboundHttp({ guard: { allowLocal: true } });

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const handler = handlers[req.url ?? ""];
    if (handler === undefined) res.writeHead(404).end();
    else handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The two ways an output reads an answer: `fetch` then `readAnswer`, or the client's `send`. */
const readers: [string, (path: string) => Promise<HttpAnswer>][] = [
  [
    "fetch and readAnswer",
    async (path) =>
      readAnswer(await http.fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(5000) })),
  ],
  [
    "OutboundHttp.send",
    (path) =>
      http.send({
        url: `${baseUrl}${path}`,
        method: "GET",
        headers: {},
        signal: AbortSignal.timeout(5000),
        limit: RESPONSE_EXCERPT_LIMIT,
      }),
  ],
];

describe.each(readers)("reading an answer with %s against a real receiver", (_, answerOf) => {
  it("reads a short body whole, and an empty one as empty", async () => {
    expect((await answerOf("/short")).body).toBe("ok");
    const empty = await answerOf("/empty");
    expect(empty).toMatchObject({ status: 204, body: "" });
  });

  it("keeps what arrived when the peer destroys the connection mid-body", async () => {
    const answer = await answerOf("/cut-off");
    expect(answer.status).toBe(502);
    expect(answer.body).toBe("upstream went away");
  });

  it("stops at the excerpt limit on an endless body and lets the connection go", async () => {
    const answer = await answerOf("/endless");
    expect(answer.body).toBe("x".repeat(RESPONSE_EXCERPT_LIMIT));
    // The receiver's side closes: the reader cancelled the body instead of draining it.
    await endlessClosed;
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it("drops a character the limit splits instead of garbling it", async () => {
    const answer = await answerOf("/split-character");
    expect(answer.body).toBe("a".repeat(RESPONSE_EXCERPT_LIMIT - 1));
  });
});

function answer(status: number, body = "", headers: Record<string, string> = {}): HttpAnswer {
  return { status, body, headers: new Headers(headers) };
}

describe("classifyAnswer", () => {
  const words = { who: "the receiver" };

  it("succeeds on 2xx with the answer as facts, cookies redacted", () => {
    expect(classifyAnswer(answer(201, "made", { "set-cookie": "s=1" }), words)).toEqual({
      outcome: "succeeded",
      httpStatus: 201,
      response: "made",
      responseHeaders: { "set-cookie": "[redacted]" },
    });
  });

  it("fails on a redirect, naming where it pointed", () => {
    expect(classifyAnswer(answer(301, "", { location: "https://x.test/" }), words)).toMatchObject({
      outcome: "failed",
      error: "the receiver answered 301: redirects are not followed (Location: https://x.test/)",
    });
  });

  it("retries 429 and 5xx after Retry-After, and 408 on the engine's schedule", () => {
    expect(classifyAnswer(answer(429, "slow down", { "retry-after": "7" }), words)).toMatchObject({
      outcome: "retry",
      error: "rate limited: the receiver answered 429 slow down",
      retryAfterMs: 7000,
    });
    expect(classifyAnswer(answer(503, "", { "retry-after": "2" }), words)).toMatchObject({
      outcome: "retry",
      error: "the receiver answered 503",
      retryAfterMs: 2000,
    });
    const timeout = classifyAnswer(answer(408, "too slow", { "retry-after": "9" }), words);
    expect(timeout).toMatchObject({
      outcome: "retry",
      error: "the receiver answered 408 too slow",
    });
    expect(timeout).not.toHaveProperty("retryAfterMs");
  });

  it("disables the target on 410 only when the output says so", () => {
    expect(
      classifyAnswer(answer(410, "gone"), { ...words, goneDisablesTarget: true }),
    ).toMatchObject({
      outcome: "failed",
      error: "the receiver answered 410 gone: the notification is disabled",
      disableTarget: "the receiver answered 410 Gone",
    });
    expect(classifyAnswer(answer(410, "gone"), words)).not.toHaveProperty("disableTarget");
  });

  it("fails on other 4xx with the output's hint and one line of the body", () => {
    const result = classifyAnswer(answer(400, "bad\n  field"), {
      who: "Slack",
      hint: (_answer, said) => (said === "bad field" ? "fix the field" : undefined),
    });
    expect(result).toMatchObject({
      outcome: "failed",
      error: "Slack answered 400 bad field (fix the field)",
    });
  });
});

describe("classifyRequestError", () => {
  const words = { who: "the receiver", tlsHint: "check the certificate" };
  const live = new AbortController().signal;

  it("retries a timed-out attempt", () => {
    const aborted = AbortSignal.abort();
    expect(classifyRequestError(new Error("aborted"), aborted, words)).toEqual({
      outcome: "retry",
      error: "timed out waiting for the receiver",
    });
  });

  it("retries connection errors with the shared words, and TLS errors with the hint", () => {
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    });
    expect(classifyRequestError(refused, live, words)).toEqual({
      outcome: "retry",
      error: "connection refused (ECONNREFUSED)",
    });
    const tls = Object.assign(new Error("self-signed certificate"), {
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    expect(classifyRequestError(tls, live, words)).toEqual({
      outcome: "retry",
      error:
        "TLS error (DEPTH_ZERO_SELF_SIGNED_CERT): self-signed certificate (check the certificate)",
    });
  });

  it("fails a request the client refused to build", () => {
    const invalid = Object.assign(new Error("invalid header"), { code: "UND_ERR_INVALID_ARG" });
    expect(classifyRequestError(invalid, live, words)).toEqual({
      outcome: "failed",
      error: "the request could not be sent: invalid header",
    });
  });
});
