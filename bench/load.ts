import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { percentile } from "./stats.js";

export interface LoadOptions {
  /** Full URL of the webhook route. */
  url: string;
  body: Buffer;
  /** Headers sent with every request; `X-GitHub-Delivery` is added, fresh for each request. */
  headers: Record<string, string>;
  connections: number;
  /** Length of the measured window, in seconds. */
  durationSec: number;
}

export interface LoadResult {
  /** Responses received inside the measured window, per second. */
  rps: number;
  /** Latency percentiles over every response, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Every response received (the window plus the in-flight requests finished at the end). */
  responses: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Requests sent whose answer was never read (cut off by a timeout or an error). */
  unanswered: number;
  statusCodes: Record<string, number>;
}

/**
 * Internals of an autocannon v8 client used for a graceful end. autocannon's own `duration`
 * destroys the sockets with up to one request per connection in flight: the server may have
 * stored such a request, but its 202 is never read, and "2xx seen" would undercount "stored".
 * Lowering `responseMax` to the requests already sent makes each client stop after its answer
 * arrives instead (the same path autocannon's `amount` option takes).
 */
interface ClientInternals {
  reqsMade?: unknown;
  responseMax?: unknown;
}

/**
 * Loads `url` with signed webhooks for `durationSec`, then lets every in-flight request finish,
 * so each request sent is either answered (and counted) or reported as unanswered.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const clients: autocannon.Client[] = [];
    const latencies: number[] = [];
    let windowResponses = 0;
    let draining = false;
    let sent = 0;
    const startedAt = performance.now();
    let drainAt = Number.NaN;

    const instance = autocannon(
      {
        url: options.url,
        method: "POST",
        connections: options.connections,
        pipelining: 1,
        // Backstop only: the run ends by draining (below) long before this.
        duration: options.durationSec + 60,
        timeout: 10,
        headers: options.headers,
        body: options.body,
        requests: [
          {
            setupRequest(request) {
              sent++;
              request.headers = { ...request.headers, "x-github-delivery": randomUUID() };
              return request;
            },
          },
        ],
        setupClient(client) {
          clients.push(client);
        },
      },
      (error, result) => {
        clearTimeout(drainTimer);
        if (error) {
          reject(error);
          return;
        }
        const sorted = Float64Array.from(latencies).sort();
        const windowSec = (drainAt - startedAt) / 1000;
        const statusCodes: Record<string, number> = {};
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
          statusCodes[code] = stats.count ?? 0;
        }
        const responses = result["2xx"] + result.non2xx;
        resolve({
          rps: windowResponses / windowSec,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          responses,
          ok2xx: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          // autocannon calls setupRequest exactly once per request it writes (a stopping client
          // stops before building another), so this counts requests that got no answer.
          unanswered: sent - responses,
          statusCodes,
        });
      },
    );

    instance.on("response", (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (!draining) windowResponses++;
    });

    const drainTimer = setTimeout(() => {
      draining = true;
      drainAt = performance.now();
      for (const client of clients) {
        const internals = client as unknown as ClientInternals;
        if (typeof internals.reqsMade !== "number") {
          instance.stop();
          reject(
            new Error(
              "autocannon's client has no reqsMade: this autocannon version is unsupported",
            ),
          );
          return;
        }
        internals.responseMax = Math.max(1, internals.reqsMade);
      }
    }, options.durationSec * 1000);
  });
}
