/**
 * Sign-in state of a dashboard request: the session cookie is read once and the session
 * resumed through the sessions service (which ends it when it is idle, too old, signed out, or
 * its token revoked). Pages behind `signedIn` redirect to the sign-in page without one;
 * every POST behind it must carry the session's synchronizer token.
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Services } from "../services/services.js";
import { SESSION_MAX_MS } from "../services/sessions/sessions-service.js";
import { allows, type Scope } from "../services/tokens/tokens-service.js";
import { ForbiddenPage } from "./error-pages.js";
import { fromThisSite, refuseCrossSite } from "./security.js";
import type { WebEnv } from "./web-env.js";

/** The cookie's name: with the `__Host-` prefix over HTTPS, which browsers pin to this host. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-shipcast_session" : "shipcast_session";
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, for the whole site. */
export function setSessionCookie(c: Context<WebEnv>, secret: string): void {
  setCookie(c, sessionCookieName(c.var.secure), secret, {
    httpOnly: true,
    sameSite: "Strict",
    secure: c.var.secure,
    path: "/",
    maxAge: Math.floor(SESSION_MAX_MS / 1000),
  });
}

export function clearSessionCookie(c: Context<WebEnv>): void {
  deleteCookie(c, sessionCookieName(c.var.secure), { path: "/", secure: c.var.secure });
}

/** The cookie's secret on this request, if any. */
export function sessionSecretOf(c: Context<WebEnv>): string | undefined {
  return getCookie(c, sessionCookieName(c.var.secure));
}

/** Where to come back to after signing in: a path of this site only. */
export function safeNext(next: string | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

/**
 * Resumes the session, or sends the browser to sign in (a GET comes back to where it was).
 * A POST must come from this site, and then carry the session's synchronizer token in `_csrf`.
 */
export function signedIn(services: Services) {
  return createMiddleware<WebEnv>(async (c, next) => {
    const changes = c.req.method !== "GET" && c.req.method !== "HEAD";
    if (changes && !fromThisSite(c)) return refuseCrossSite(c);
    const secret = sessionSecretOf(c);
    const session = secret ? await services.sessions.resume(secret) : undefined;
    if (!secret || !session) {
      if (secret) clearSessionCookie(c);
      const url = new URL(c.req.url);
      const back =
        c.req.method === "GET" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
      return c.redirect(`/signin${back}`, 303);
    }
    c.set("session", session);
    c.set("sessionSecret", secret);
    if (changes) {
      const form = await c.req.parseBody();
      const presented = typeof form._csrf === "string" ? form._csrf : "";
      if (!sameSecret(presented, session.csrfToken)) {
        return c.text("403: this form has expired; go back, reload the page and try again", 403);
      }
    }
    await next();
  });
}

/** Refuses (403) a signed-in request whose token's scope does not allow `scope`. */
export function needs(scope: Scope) {
  return createMiddleware<WebEnv>(async (c, next) => {
    if (!allows(c.var.session.principal, scope)) {
      c.status(403);
      return c.html(ForbiddenPage({ session: c.var.session, scope }));
    }
    await next();
  });
}

function sameSecret(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
