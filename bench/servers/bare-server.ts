/**
 * Upper baseline: a bare `node:http` server that reads the body, verifies the signature with
 * `@octokit/webhooks-methods` (as Shipcast does) and answers 202. Nothing is stored.
 *
 * `GET /bench-stats` reports how many webhooks it received and how many distinct
 * `X-GitHub-Delivery` ids they carried, so the parent can check each request had its own id.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import { WEBHOOK_PATH } from "../payload.js";
import { requireEnv, serveForParent } from "./child.js";

/** Counters served at `GET /bench-stats`. */
export interface BareStats {
  received: number;
  accepted: number;
  distinctDeliveries: number;
}

const secret = requireEnv("BENCH_WEBHOOK_SECRET");
const deliveries = new Set<string>();
let received = 0;
let accepted = 0;

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)),
    );
    req.on("error", reject);
  });
}

async function handleWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawBody = await readBody(req);
  received++;
  const delivery = req.headers["x-github-delivery"];
  if (typeof delivery === "string") deliveries.add(delivery);
  const signature = req.headers["x-hub-signature-256"];
  const body = rawBody.toString("utf8");
  const valid =
    typeof signature === "string" && (await verify(secret, body, signature).catch(() => false));
  if (!valid) {
    answer(res, 401, '{"error":"invalid signature"}');
    return;
  }
  accepted++;
  answer(res, 202, '{"ok":true}');
}

const server = createServer((req, res) => {
  if (req.method === "POST" && req.url === WEBHOOK_PATH) {
    handleWebhook(req, res).catch(() => answer(res, 500, '{"error":"internal"}'));
    return;
  }
  if (req.method === "GET" && req.url === "/bench-stats") {
    const stats: BareStats = { received, accepted, distinctDeliveries: deliveries.size };
    answer(res, 200, JSON.stringify(stats));
    return;
  }
  answer(res, 404, '{"error":"not found"}');
});

serveForParent(server);
