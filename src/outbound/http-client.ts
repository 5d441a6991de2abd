import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { createNetworkGuard, normalizeOutboundUrl, type Resolver } from "./network-guard.js";
import { readBounded } from "./read-bounded.js";

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
  /**
   * One request with its answer read at once, bounded: the delivery path's client. It goes
   * through the same agents (network guard, no redirects: a 3xx is an answer) as `fetch`, over
   * undici's dispatcher API instead of WHATWG `fetch`, whose streams and request clones cost
   * several times the request itself when a process sends thousands a second. Rejects like
   * `fetch` when no answer came (the error's `code` or its `cause` chain says why; a refusal of
   * the guard holds a `NetworkGuardError`); never for the answer's status.
   */
  send(request: OutboundRequest): Promise<OutboundAnswer>;
}

/** What `OutboundHttp.send` sends. */
export interface OutboundRequest {
  /** An http(s) URL; user name and password in it are dropped. */
  url: string;
  /** Default `POST`. */
  method?: "POST" | "PUT" | "GET";
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request and the reading of its answer. */
  signal?: AbortSignal;
  /** Skip the TLS certificate check (a webhook's `ssl_verification: false`). Default false. */
  insecure?: boolean;
  /** Bytes of the answer's body kept; the rest is not read. Default 16 KiB. */
  limit?: number;
}

/** What came back: the status, the headers, and the start of the body decoded as UTF-8. */
export interface OutboundAnswer {
  status: number;
  headers: Headers;
  /** At most the request's `limit` bytes; a character split by the limit is dropped. */
  body: string;
}

/** Default bytes of an answer kept by `send`. */
const DEFAULT_ANSWER_LIMIT = 16 * 1024;

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

/** `OutboundHttp.send` over `secure` (or `insecure` when the request asks). */
function sendThrough(
  secure: Dispatcher,
  insecure: Dispatcher,
): (request: OutboundRequest) => Promise<OutboundAnswer> {
  return async (request) => {
    const url = normalizeOutboundUrl(request.url);
    const dispatcher = request.insecure === true ? insecure : secure;
    const { statusCode, headers, body } = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: request.method ?? "POST",
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    const answerHeaders = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) answerHeaders.append(name, one);
    }
    const text = await readBounded(body, request.limit ?? DEFAULT_ANSWER_LIMIT);
    return { status: statusCode, headers: answerHeaders, body: text };
  };
}

export function createOutboundHttp(options: OutboundHttpOptions = {}): OutboundHttp {
  if (options.dispatcher !== undefined) {
    const bypass = fetchThrough(options.dispatcher);
    return {
      fetch: bypass,
      fetchInsecure: bypass,
      send: sendThrough(options.dispatcher, options.dispatcher),
    };
  }
  const guard = createNetworkGuard(options.guard);
  const timeout = options.connectTimeoutMs ?? 10_000;
  const agent = (tls: { rejectUnauthorized?: boolean }) =>
    new Agent({ connect: guard.connector({ timeout, ...tls }), keepAliveTimeout: 30_000 });
  const secure = agent({});
  const insecure = agent({ rejectUnauthorized: false });
  return {
    fetch: fetchThrough(secure),
    fetchInsecure: fetchThrough(insecure),
    send: sendThrough(secure, insecure),
  };
}
