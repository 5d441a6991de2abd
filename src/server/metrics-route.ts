import type { IncomingMessage, ServerResponse } from "node:http";
import type { ShipcastMetrics } from "../metrics/shipcast-metrics.js";
import { constantTimeEqual } from "../sources/constant-time.js";
import { sendError } from "./respond.js";

/**
 * `GET /metrics`: the Prometheus text exposition, for whoever presents `METRICS_TOKEN` as a
 * bearer token (compared in constant time). Only served while the token is set.
 */
export function createMetricsRoute(options: { token: string; metrics: ShipcastMetrics }) {
  const { token, metrics } = options;
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, 405, "use GET /metrics", { allow: "GET, HEAD" });
      return;
    }
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (presented === undefined || !constantTimeEqual(presented, token)) {
      sendError(res, 401, "present METRICS_TOKEN as a bearer token", {
        "www-authenticate": 'Bearer realm="shipcast metrics"',
      });
      return;
    }
    const { contentType, body } = await metrics.render();
    res.writeHead(200, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}
