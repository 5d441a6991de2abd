/**
 * What every dashboard answer carries, and what every state-changing request must pass before
 * anything else looks at it: a strict Content-Security-Policy (no inline script or style: the
 * pages load their own scripts and style sheets), no sniffing, no framing; and the check that a
 * POST comes from this very host.
 */
import type { Context } from "hono";
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
    c.set("host", requestHost(c.req.raw.headers, options.trustProxy));
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
 * Whether a state-changing request comes from this site: its `Origin` — or, without one, its
 * `Referer` — is this host over this scheme. Browsers send `Origin` on every form POST, so a
 * form on another site cannot post here, whatever SameSite and the synchronizer token say.
 * Checked by every POST route before anything else looks at the request.
 */
export function fromThisSite(c: Context<WebEnv>): boolean {
  const claimed = c.req.header("origin") ?? c.req.header("referer");
  if (!c.var.host || !claimed || claimed === "null" || !URL.canParse(claimed)) return false;
  const url = new URL(claimed);
  return (
    url.host.toLowerCase() === c.var.host && url.protocol === (c.var.secure ? "https:" : "http:")
  );
}

/** The answer to a post from elsewhere. */
export function refuseCrossSite(c: Context<WebEnv>): Response {
  return c.text("403: this form was not sent from this site", 403);
}
