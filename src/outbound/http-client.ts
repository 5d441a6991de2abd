import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";

/**
 * The one HTTP client for user-supplied URLs (Slack webhooks, outgoing webhooks, …). Every such
 * request goes through here so that timeouts, the no-redirect rule and the network guard are
 * enforced in one place.
 */
export interface OutboundHttp {
  /** `fetch` with redirects refused (`redirect: "manual"`: a 3xx is an answer, never followed). */
  fetch: typeof globalThis.fetch;
}

export interface OutboundHttpOptions {
  /** Connect timeout in milliseconds. */
  connectTimeoutMs?: number;
  /** A dispatcher to use instead of the default agent (the network guard plugs in here). */
  dispatcher?: Dispatcher;
}

export function createOutboundHttp(options: OutboundHttpOptions = {}): OutboundHttp {
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
      keepAliveTimeout: 30_000,
    });
  const guardedFetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      redirect: "manual",
      dispatcher,
    })) as unknown as typeof globalThis.fetch;
  return { fetch: guardedFetch };
}
