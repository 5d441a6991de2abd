import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { createNetworkGuard, normalizeOutboundUrl, type Resolver } from "./network-guard.js";

/**
 * The one HTTP client for user-supplied URLs (Slack webhooks, outgoing webhooks, …). Every such
 * request goes through here so that timeouts, the no-redirect rule and the network guard are
 * enforced in one place.
 */
export interface OutboundHttp {
  /**
   * `fetch` through the network guard, with redirects refused (`redirect: "manual"`: a 3xx is an
   * answer, never followed). Only http(s) URLs; user name and password in the URL are dropped
   * (turn them into a header with `splitCredentials` first). A refusal of the guard rejects with
   * an error whose `cause` chain holds a `NetworkGuardError` (`isNetworkGuardRefusal`).
   */
  fetch: typeof globalThis.fetch;
  /**
   * The same, but TLS certificates are not verified (a webhook's `ssl_verification: false`). The
   * network guard still applies.
   */
  fetchInsecure: typeof globalThis.fetch;
}

export interface OutboundHttpOptions {
  /** Connect timeout in milliseconds (DNS lookup and TCP/TLS connect, each). Default 10000. */
  connectTimeoutMs?: number;
  /**
   * The network guard's openings (ALLOW_LOCAL_NETWORK, ALLOWED_NETWORKS) and resolver. Omitted:
   * the guard is on with nothing opened.
   */
  guard?: { allowLocal?: boolean; allowedNetworks?: readonly string[]; resolve?: Resolver };
  /**
   * A dispatcher to use instead of the guarded agents, for both `fetch` and `fetchInsecure`.
   * It BYPASSES the network guard (and `fetchInsecure`'s TLS setting): for benchmarks and tests
   * that bring their own transport, never for requests to user-supplied URLs in production.
   */
  dispatcher?: Dispatcher;
}

type FetchInput = Parameters<typeof globalThis.fetch>[0];

/** A `fetch` over `dispatcher` that refuses redirects and non-http(s) URLs. */
function fetchThrough(dispatcher: Dispatcher): typeof globalThis.fetch {
  const send = async (input: FetchInput, init?: RequestInit) => {
    let target: FetchInput;
    if (typeof input === "string" || input instanceof URL) {
      target = normalizeOutboundUrl(input).href;
    } else {
      // A Request cannot carry credentials in its URL; only its scheme needs checking.
      normalizeOutboundUrl(input.url);
      target = input;
    }
    return undiciFetch(target as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      redirect: "manual",
      dispatcher,
    });
  };
  return send as unknown as typeof globalThis.fetch;
}

export function createOutboundHttp(options: OutboundHttpOptions = {}): OutboundHttp {
  if (options.dispatcher !== undefined) {
    const bypass = fetchThrough(options.dispatcher);
    return { fetch: bypass, fetchInsecure: bypass };
  }
  const guard = createNetworkGuard(options.guard);
  const timeout = options.connectTimeoutMs ?? 10_000;
  const agent = (tls: { rejectUnauthorized?: boolean }) =>
    new Agent({ connect: guard.connector({ timeout, ...tls }), keepAliveTimeout: 30_000 });
  return {
    fetch: fetchThrough(agent({})),
    fetchInsecure: fetchThrough(agent({ rejectUnauthorized: false })),
  };
}
