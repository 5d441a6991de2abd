import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboundHttp } from "../../src/outbound/http-client.js";
import { isNetworkGuardRefusal } from "../../src/outbound/network-guard.js";

/** What the receiver saw of each request. */
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] =
  [];
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === "/moved") {
        res.writeHead(302, { location: "/elsewhere" }).end();
      } else if (req.url === "/slow") {
        setTimeout(() => res.end("late"), 5000).unref();
      } else {
        res.writeHead(201, { "x-one": "1", "set-cookie": ["a=1", "b=2"] }).end("made");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("OutboundHttp.send", () => {
  const http = createOutboundHttp({ guard: { allowLocal: true } });

  it("sends the method, headers and body, and answers status, headers and body", async () => {
    seen.length = 0;
    const answer = await http.send({
      url: `${base}/hook?x=1`,
      headers: { "content-type": "application/json", "x-shipcast-delivery": "dlv_1" },
      body: '{"a":1}',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toBe("made");
    expect(answer.headers.get("x-one")).toBe("1");
    expect(answer.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(seen).toMatchObject([
      {
        method: "POST",
        url: "/hook?x=1",
        body: '{"a":1}',
        headers: { "content-type": "application/json", "x-shipcast-delivery": "dlv_1" },
      },
    ]);
  });

  it("answers a redirect instead of following it", async () => {
    seen.length = 0;
    const answer = await http.send({ url: `${base}/moved`, headers: {}, body: "" });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe("/elsewhere");
    expect(seen.map((request) => request.url)).toEqual(["/moved"]);
  });

  it("never sends the credentials of the URL", async () => {
    seen.length = 0;
    const withCredentials = base.replace("http://", "http://user:pass@");
    await http.send({ url: `${withCredentials}/hook`, headers: {}, body: "" });
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it("rejects when the signal aborts before the answer", async () => {
    const signal = AbortSignal.timeout(100);
    await expect(
      http.send({ url: `${base}/slow`, headers: {}, body: "", signal }),
    ).rejects.toThrow();
    expect(signal.aborted).toBe(true);
  });

  it("goes through the network guard: loopback is refused unless opened", async () => {
    const guarded = createOutboundHttp();
    seen.length = 0;
    const error = await guarded.send({ url: `${base}/hook`, headers: {}, body: "" }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isNetworkGuardRefusal(error)).toBe(true);
    expect(seen).toEqual([]);
  });

  it("refuses a URL that is not http(s)", async () => {
    await expect(http.send({ url: "file:///etc/passwd", headers: {} })).rejects.toThrow();
  });
});
