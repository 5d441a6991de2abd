/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * `/docs`: the management API's OpenAPI document in Swagger UI, served from the
 * `swagger-ui-dist` package under the same strict policy as every page (its script and style
 * sheet are files; the page starts it from `/static/docs.js`). The document needs a token, so
 * the dashboard serves it to its signed-in users at `/docs/openapi.json`.
 */
import type { Hono } from "hono";
import type { Services } from "../services/services.js";
import { Layout } from "./layout.js";
import { signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

/** Registers `/docs` and `/docs/openapi.json`. */
export function docsRoutes(app: Hono<WebEnv>, services: Services, openApi: () => unknown): void {
  app.get("/docs", signedIn(services), (c) =>
    c.html(
      <Layout
        title="API docs"
        session={c.var.session}
        section="docs"
        styles={["/static/swagger-ui/swagger-ui.css", "/static/docs.css"]}
        scripts={["/static/swagger-ui/swagger-ui-bundle.js", "/static/docs.js"]}
      >
        <h1>Management API</h1>
        <p>
          Every route needs <code>Authorization: Bearer &lt;token&gt;</code>: use Authorize with
          SHIPCAST_ADMIN_TOKEN or an API token to try them here. The document:{" "}
          <a href="/docs/openapi.json">openapi.json</a> (also at /api/v1/openapi.json with a token).
        </p>
        <div id="swagger-ui" data-url="/docs/openapi.json">
          <noscript>
            The API reference needs JavaScript; the document itself is linked above.
          </noscript>
        </div>
      </Layout>,
    ),
  );
  app.get("/docs/openapi.json", signedIn(services), (c) => c.json(openApi() as object));
}
