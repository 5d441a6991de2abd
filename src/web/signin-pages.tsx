/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/** Sign-in with the admin token or an API token, and sign-out. */
import type { Hono } from "hono";
import { RateLimiter } from "../services/deliveries/rate-limiter.js";
import type { Services } from "../services/services.js";
import { Notice } from "./components.js";
import { Layout } from "./layout.js";
import { fromThisSite, refuseCrossSite } from "./security.js";
import {
  clearSessionCookie,
  safeNext,
  sessionSecretOf,
  setSessionCookie,
  signedIn,
} from "./session.js";
import type { WebEnv } from "./web-env.js";

function SignInPage(props: { next: string; error?: string; off: boolean }) {
  return (
    <Layout title="Sign in">
      <section class="signin">
        <h1>Sign in to Shipcast</h1>
        {props.off ? (
          <Notice tone="bad">
            The dashboard is off: set SHIPCAST_ADMIN_TOKEN (at least 16 characters; try openssl rand
            -hex 32) and restart Shipcast.
          </Notice>
        ) : (
          <>
            {props.error && <Notice tone="bad">{props.error}</Notice>}
            <form method="post" action="/signin">
              <input type="hidden" name="next" value={props.next} />
              <label for="token">Token</label>
              <p class="hint" id="token-hint">
                SHIPCAST_ADMIN_TOKEN, or an API token (shc_…). A read-scope token can look but not
                change anything.
              </p>
              <input
                id="token"
                name="token"
                type="password"
                autocomplete="current-password"
                required
                aria-describedby="token-hint"
              />
              <button type="submit">Sign in</button>
            </form>
          </>
        )}
      </section>
    </Layout>
  );
}

/** Registers `/signin` and `/signout`. */
export function signInRoutes(app: Hono<WebEnv>, services: Services): void {
  // Guessing tokens: at most 10 failed sign-ins a minute from one address.
  const failures = new RateLimiter(10, 60_000);

  app.get("/signin", async (c) => {
    const next = safeNext(c.req.query("next"));
    const secret = sessionSecretOf(c);
    if (secret && (await services.sessions.resume(secret))) return c.redirect(next, 303);
    return c.html(<SignInPage next={next} off={!services.tokens.enabled} />);
  });

  app.post("/signin", async (c) => {
    // A sign-in form on another site must not sign this browser in.
    if (!fromThisSite(c)) return refuseCrossSite(c);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const off = !services.tokens.enabled;
    const address = c.env?.incoming?.socket?.remoteAddress ?? "unknown";
    if (failures.exhausted(address)) {
      c.status(429);
      return c.html(
        <SignInPage
          next={next}
          off={off}
          error="Too many sign-ins; wait a minute and try again."
        />,
      );
    }
    const token = typeof form.token === "string" ? form.token : "";
    const signed = token ? await services.sessions.signIn(token) : undefined;
    if (!signed) {
      failures.take(address);
      c.status(401);
      return c.html(<SignInPage next={next} off={off} error="That token is not valid." />);
    }
    setSessionCookie(c, signed.secret);
    return c.redirect(next, 303);
  });

  app.post("/signout", signedIn(services), async (c) => {
    await services.sessions.signOut(c.var.sessionSecret);
    clearSessionCookie(c);
    return c.redirect("/signin", 303);
  });
}
