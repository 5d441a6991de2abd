/**
 * The stand-in for Slack in `npm run bench:delivery`, run by bench/delivery.ts in its own
 * process: it answers `200 ok` (as Slack does) to every POST and records, per request, when it
 * arrived, its path and its `X-Shipcast-Delivery` header.
 *
 * Its own process, so neither side of a measured run shares an event loop with it: not
 * Shipcast's delivery workers, and not the bench's bare loop (which would otherwise compete with
 * the receiver for its own thread and look slower than it is).
 *
 * Times are `performance.timeOrigin + performance.now()`: epoch milliseconds with sub-millisecond
 * resolution, comparable with the parent's clock on the same machine.
 *
 * Control (never recorded): `GET /_bench/count`, `GET /_bench/arrivals`, `DELETE /_bench/arrivals`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded request: [arrival time (epoch ms), path, X-Shipcast-Delivery or null]. */
export type Arrival = [at: number, path: string, delivery: string | null];

/** What `GET /_bench/count` answers. */
export interface ArrivalCount {
  count: number;
  /** Distinct X-Shipcast-Delivery values seen (requests without the header are not counted). */
  distinct: number;
}

let arrivals: Arrival[] = [];
let deliveryIds = new Set<string>();

const now = () => performance.timeOrigin + performance.now();

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function control(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.method === "GET" && req.url === "/_bench/count") {
    const count: ArrivalCount = { count: arrivals.length, distinct: deliveryIds.size };
    sendJson(res, 200, count);
  } else if (req.method === "GET" && req.url === "/_bench/arrivals") {
    sendJson(res, 200, arrivals);
  } else if (req.method === "DELETE" && req.url === "/_bench/arrivals") {
    arrivals = [];
    deliveryIds = new Set();
    sendJson(res, 200, { count: 0 });
  } else {
    sendJson(res, 404, { error: "not found" });
  }
}

const server = createServer((req, res) => {
  if (req.method !== "POST") {
    control(req, res);
    return;
  }
  const at = now();
  const header = req.headers["x-shipcast-delivery"];
  const delivery = typeof header === "string" ? header : null;
  const path = req.url ?? "";
  // The body is read (and dropped) before answering, as a real receiver would.
  req.resume();
  req.once("end", () => {
    arrivals.push([at, path, delivery]);
    if (delivery !== null) deliveryIds.add(delivery);
    res.writeHead(200, { "content-type": "text/html", "content-length": 2 });
    res.end("ok");
  });
});
// Longer than undici's keep-alive (30 s), so a pooled connection is never closed under a request.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

const exit = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
// The parent went away: nobody will stop this process otherwise.
process.on("disconnect", exit);

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  // The shape bench/processes.ts's waitForReadyMessage expects.
  if (process.send) process.send({ type: "ready", port });
  else console.log(`listening on http://127.0.0.1:${port}`);
});
