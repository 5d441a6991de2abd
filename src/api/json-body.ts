/**
 * The body of a route that takes one: at most 1 MiB (413, refused from `Content-Length` before
 * reading, else as it streams in), and JSON (400 otherwise), whatever `Content-Type` says. The
 * API has always read bodies that way, and scripts rely on it: `curl -d` sends
 * `application/x-www-form-urlencoded`. The route's zod schema then validates it (422), once it
 * is known not to nest deeper than any request needs: validation and its messages may recurse
 * into a value, and a valid body can nest deep enough to overflow the stack.
 */
import { createMiddleware } from "hono/factory";
import { RequestAbortedError } from "../server/read-body.js";
import type { ApiEnv } from "./api-env.js";
import { problemsBody } from "./problems.js";

/** Largest API request body: notifications are small. */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/** Deeper than any request body of this API needs (theirs nest three levels at most). */
export const MAX_API_BODY_DEPTH = 64;

/** The body's bytes, or undefined once it is larger than `limit`. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // Answer now, and let the rest flow away unread (the server bounds how long), so the
        // connection can carry the next request.
        void discard(reader);
        return undefined;
      }
      chunks.push(value);
    }
  } catch (error) {
    throw new RequestAbortedError(error instanceof Error ? error.message : String(error));
  }
  return Buffer.concat(chunks, size);
}

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // The connection closed: nothing left to discard.
  }
}

/**
 * How deep the arrays and objects of `json` (valid JSON text) nest, counted without parsing and
 * without recursion; counting stops once past `stopAfter`.
 */
export function nestingDepth(json: string, stopAfter: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAfter) break;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Reads, limits and checks the body, then hands it on as `application/json` so that the route's
 * validator (`c.req.valid("json")`) sees it. With `optional`, an empty body stands for `{}`.
 */
export function jsonBody(options: { optional?: boolean } = {}) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const bytes = await readLimited(c.req.raw, MAX_API_BODY_BYTES);
    if (bytes === undefined) {
      return c.json({ error: `request body larger than ${MAX_API_BODY_BYTES} bytes` }, 413);
    }
    let text = new TextDecoder().decode(bytes).trim();
    if (text === "" && options.optional) text = "{}";
    try {
      JSON.parse(text);
    } catch {
      return c.json({ error: "the request body is not valid JSON" }, 400);
    }
    if (nestingDepth(text, MAX_API_BODY_DEPTH) > MAX_API_BODY_DEPTH) {
      const message = `nests deeper than ${MAX_API_BODY_DEPTH} levels`;
      return c.json(problemsBody([{ field: "(body)", message }]), 422);
    }
    const headers = new Headers(c.req.header());
    headers.set("content-type", "application/json");
    headers.delete("content-length");
    headers.delete("transfer-encoding");
    // Hono's own body-limit middleware replaces the request the same way.
    c.req.raw = new Request(c.req.url, {
      method: c.req.method,
      headers,
      body: text,
      signal: c.req.raw.signal,
    });
    await next();
  });
}
