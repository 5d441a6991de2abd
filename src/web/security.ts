/**
 * What every dashboard answer carries, and what every state-changing request must pass before
 * anything else looks at it: a strict Content-Security-Policy (no inline script or style: the
 * pages load one script and one style sheet of their own), no sniffing, no framing, and an
 * `Origin` (or `Referer`) of this very host on every POST.
 */
import { createMiddleware } from "hono/factory";
import type { WebEnv } from "./web-env.js";

/** The policy of every page. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Sets the security headers on every answer, and `secure` for the pages. */
export function securityHeaders(options: { trustProxy: boolean }) {
  return createMiddleware<WebEnv>(async (c, next) => {
    c.set("secure", requestIsHttps(c.req.raw.headers, c.env, options.trustProxy));
    await next();
    c.res.headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    c.res.headers.set("x-content-type-options", "nosniff");
    c.res.headers.set("referrer-policy", "same-origin");
    c.res.headers.set("x-frame-options", "DENY");
    c.res.headers.set("cross-origin-opener-policy", "same-origin");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });
}

/** Whether the request came over HTTPS: the socket says so, or a trusted proxy does. */
function requestIsHttps(
  headers: Headers,
  env: WebEnv["Bindings"] | undefined,
  trustProxy: boolean,
): boolean {
  const socket = env?.incoming?.socket as { encrypted?: boolean } | undefined;
  if (socket?.encrypted === true) return true;
  if (!trustProxy) return false;
  return firstValue(headers.get("x-forwarded-proto"))?.toLowerCase() === "https";
}

/** The host the browser addressed: the Host header, or a trusted proxy's X-Forwarded-Host. */
export function requestHost(headers: Headers, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? firstValue(headers.get("x-forwarded-host")) : undefined;
  return (forwarded ?? headers.get("host") ?? undefined)?.toLowerCase();
}

function firstValue(header: string | null): string | undefined {
  const first = header?.split(",")[0]?.trim();
  return first ? first : undefined;
}

/**
 * Refuses (403) a state-changing request whose `Origin` — or, without one, `Referer` — is not
 * this host over this scheme. Browsers send `Origin` on every form POST, so a form on another
 * site cannot post here even before SameSite and the synchronizer token are looked at.
 */
export function sameOriginPosts(options: { trustProxy: boolean }) {
  return createMiddleware<WebEnv>(async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const host = requestHost(c.req.raw.headers, options.trustProxy);
    const claimed = c.req.header("origin") ?? c.req.header("referer");
    const scheme = c.var.secure ? "https:" : "http:";
    let allowed = false;
    if (host && claimed && claimed !== "null" && URL.canParse(claimed)) {
      const url = new URL(claimed);
      allowed = url.host.toLowerCase() === host && url.protocol === scheme;
    }
    if (!allowed) {
      return c.text("403: this form was not sent from this site", 403);
    }
    await next();
  });
}
