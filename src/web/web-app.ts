/**
 * The dashboard: server-rendered pages (Hono's JSX) over the same services as the API, at `/`
 * on the API's port. Nothing is built at start: the pages are rendered per request, and the
 * one script and style sheet are served as written. Every answer carries a strict
 * Content-Security-Policy; every POST route checks that it comes from this site (Origin) and
 * carries the session's synchronizer token.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../logging/logger.js";
import type { Services } from "../services/services.js";
import type { SourceState } from "../services/sources/source-states.js";
import { deliveriesRoutes } from "./deliveries-pages.js";
import { docsRoutes } from "./docs-page.js";
import { ErrorPage, NotFoundPage } from "./error-pages.js";
import { eventsRoutes } from "./events-pages.js";
import { notificationsRoutes } from "./notifications-pages.js";
import { overviewRoutes } from "./overview-page.js";
import { securityHeaders } from "./security.js";
import { signInRoutes } from "./signin-pages.js";
import { staticRoutes } from "./static-files.js";
import { tokensRoutes } from "./tokens-pages.js";
import type { WebEnv } from "./web-env.js";

/** Largest form the dashboard reads. */
const MAX_FORM_BYTES = 64 * 1024;

export interface WebDependencies {
  services: Services;
  /** The sources, on or off, for the overview. */
  sources: SourceState[];
  /** `SHIPCAST_TRUST_PROXY`: believe X-Forwarded-Proto and X-Forwarded-Host. */
  trustProxy: boolean;
  /** `PUBLIC_URL`: the origin the overview shows in the URLs to paste; else the request's. */
  publicUrl?: string;
  /** The management API's OpenAPI document, for `/docs`. */
  openApi: () => unknown;
  log: Logger;
}

/** Builds the dashboard app. */
export function createWebApp(deps: WebDependencies): Hono<WebEnv> {
  const { services, trustProxy } = deps;
  const app = new Hono<WebEnv>({ strict: false });
  app.use(securityHeaders({ trustProxy }));
  app.post(
    "*",
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => c.text(`413: forms are at most ${MAX_FORM_BYTES} bytes`, 413),
    }),
  );
  staticRoutes(app);
  signInRoutes(app, services);
  overviewRoutes(app, services, { sources: deps.sources, trustProxy, publicUrl: deps.publicUrl });
  eventsRoutes(app, services);
  deliveriesRoutes(app, services);
  notificationsRoutes(app, services);
  tokensRoutes(app, services);
  docsRoutes(app, services, deps.openApi);
  app.notFound((c) => {
    c.status(404);
    return c.html(NotFoundPage({ what: `Nothing at ${new URL(c.req.url).pathname}.` }));
  });
  app.onError((error, c) => {
    deps.log.error(
      { err: error, url: c.req.url, method: c.req.method },
      "dashboard request failed",
    );
    c.status(500);
    return c.html(ErrorPage({ message: "The page could not be shown; the log says why." }));
  });
  return app;
}
