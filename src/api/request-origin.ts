/** The origin a request was sent to, as a reverse proxy in front of Shipcast says it received it. */
import type { Context } from "hono";
import type { ApiEnv } from "./api-env.js";

/**
 * `scheme://host` of this request, for the URLs an answer shows when PUBLIC_URL is unset: the
 * scheme a proxy passes on (`X-Forwarded-Proto`, http or https, any case) else the request's own;
 * with `forwardedHost`, the host a proxy passes on (`X-Forwarded-Host`, when it is a plain host)
 * else the request's own. Only the first value of a list counts (the proxy nearest the client).
 */
export function requestOrigin(
  c: Context<ApiEnv>,
  options: { forwardedHost: boolean } = { forwardedHost: false },
): string {
  const own = new URL(c.req.url);
  const first = (name: string) => c.req.header(name)?.split(",", 1)[0]?.trim() || undefined;
  const proto = first("x-forwarded-proto")?.toLowerCase();
  const scheme = proto === "https" || proto === "http" ? proto : own.protocol.replace(/:$/, "");
  const host = options.forwardedHost ? first("x-forwarded-host") : undefined;
  const authority = host !== undefined && /^[A-Za-z0-9.[\]:-]+$/.test(host) ? host : own.host;
  return `${scheme}://${authority}`;
}
