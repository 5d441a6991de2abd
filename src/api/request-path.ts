import { getPath } from "hono/utils/url";

/** `/a/b//` → `/a/b`: a trailing slash never changes which route answers. */
function withoutTrailingSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}

/** The path Hono routes on: its own (percent-decoded) path, without trailing slashes. */
export function routingPath(request: Request): string {
  return withoutTrailingSlashes(getPath(request));
}

/** The path as the client sent it (percent-encoding kept), without trailing slashes. */
export function requestPath(url: string): string {
  return withoutTrailingSlashes(new URL(url).pathname);
}
