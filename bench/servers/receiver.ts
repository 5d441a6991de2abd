/**
 * The stand-in for a webhook receiver (the delivery benchmark and the chaos run start it in its
 * own process): it answers `200 ok` to every POST and records, per request, when it arrived, its
 * path and its `X-Shipcast-Delivery` header.
 *
 * Its own process, so neither side of a measured run shares an event loop with it: not
 * Shipcast's delivery workers, and not the bench's bare loop (which would otherwise compete with
 * the receiver for its own thread and look slower than it is).
 *
 * Times are `performance.timeOrigin + performance.now()`: epoch milliseconds with sub-millisecond
 * resolution, comparable with the parent's clock on the same machine.
 *
 * Environment:
 *   RECEIVER_SECRET      verify `X-Hub-Signature-256` over the raw body with this secret; a
 *                        request without a valid one is answered 401 and counted as bad
 *   RECEIVER_KEEP_BODIES `true`: keep every body (for the bare loop to send the same ones)
 *
 * Control (never recorded): `GET /_bench/count`, `GET /_bench/arrivals`, `GET /_bench/bodies`,
 * `DELETE /_bench/arrivals` (forgets arrivals and bodies).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import { serveForParent } from "./child.js";

/** One recorded request: [arrival time (epoch ms), path, X-Shipcast-Delivery or null]. */
export type Arrival = [at: number, path: string, delivery: string | null];

/** One kept body: [path, body]. */
export type KeptBody = [path: string, body: string];

/** What `GET /_bench/count` answers. */
export interface ArrivalCount {
  /** Requests recorded (answered 200). */
  count: number;
  /** Distinct X-Shipcast-Delivery values seen (requests without the header are not counted). */
  distinct: number;
  /** Requests refused for a missing or wrong signature (not recorded as arrivals). */
  badSignatures: number;
}

const secret = process.env.RECEIVER_SECRET || undefined;
const keepBodies = process.env.RECEIVER_KEEP_BODIES === "true";

let arrivals: Arrival[] = [];
let bodies: KeptBody[] = [];
let deliveryIds = new Set<string>();
let badSignatures = 0;

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
    const count: ArrivalCount = {
      count: arrivals.length,
      distinct: deliveryIds.size,
      badSignatures,
    };
    sendJson(res, 200, count);
  } else if (req.method === "GET" && req.url === "/_bench/arrivals") {
    sendJson(res, 200, arrivals);
  } else if (req.method === "GET" && req.url === "/_bench/bodies") {
    sendJson(res, 200, bodies);
  } else if (req.method === "DELETE" && req.url === "/_bench/arrivals") {
    arrivals = [];
    bodies = [];
    deliveryIds = new Set();
    badSignatures = 0;
    sendJson(res, 200, { count: 0 });
  } else {
    sendJson(res, 404, { error: "not found" });
  }
}

/** Records an arrival that passed the checks, and answers as Slack and most receivers do. */
function accept(res: ServerResponse, at: number, path: string, delivery: string | null): void {
  arrivals.push([at, path, delivery]);
  if (delivery !== null) deliveryIds.add(delivery);
  res.writeHead(200, { "content-type": "text/html", "content-length": 2 });
  res.end("ok");
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
  if (secret === undefined && !keepBodies) {
    // The body is read (and dropped) before answering, as a real receiver would.
    req.resume();
    req.once("end", () => accept(res, at, path, delivery));
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.once("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (secret !== undefined) {
      const signature = req.headers["x-hub-signature-256"];
      const valid = typeof signature === "string" && (await verify(secret, body, signature));
      if (!valid) {
        badSignatures++;
        sendJson(res, 401, { error: "bad signature" });
        return;
      }
    }
    if (keepBodies) bodies.push([path, body]);
    accept(res, at, path, delivery);
  });
});
// Longer than undici's keep-alive (30 s), so a pooled connection is never closed under a request.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

serveForParent(server);
