/**
 * The dashboard's own script and style sheet (`src/web/static/`, served as they are: nothing to
 * build), and the API docs viewer from the `swagger-ui-dist` package. Read once at start-up.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import type { WebEnv } from "./web-env.js";

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

function load(path: string): StaticFile {
  const body = new Uint8Array(readFileSync(path));
  const extension = path.slice(path.lastIndexOf(".") + 1);
  return {
    body,
    type: TYPES[extension] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`,
  };
}

/** Registers `/static/*`. */
export function staticRoutes(app: Hono<WebEnv>): void {
  const own = fileURLToPath(new URL("./static/", import.meta.url));
  const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const files = new Map<string, StaticFile>([
    ["/static/app.js", load(join(own, "app.js"))],
    ["/static/app.css", load(join(own, "app.css"))],
    ["/static/docs.js", load(join(own, "docs.js"))],
    ["/static/docs.css", load(join(own, "docs.css"))],
    ["/static/swagger-ui/swagger-ui-bundle.js", load(join(swagger, "swagger-ui-bundle.js"))],
    ["/static/swagger-ui/swagger-ui.css", load(join(swagger, "swagger-ui.css"))],
  ]);
  app.get("/static/*", (c) => {
    const file = files.get(new URL(c.req.url).pathname);
    if (!file) return c.text("not found", 404);
    const headers = { etag: file.etag, "cache-control": "no-cache", "content-type": file.type };
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
    return c.body(file.body, 200, headers);
  });
}
