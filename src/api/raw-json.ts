/**
 * Answers that carry stored JSON text as it is. A sender's payload may nest deeper than a
 * recursive `JSON.stringify` can go (20,000 levels overflow the stack), so what was stored as
 * JSON text is spliced into the answer instead of being turned into objects and back.
 */
import type { TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";

/** JSON text that goes into an answer unchanged. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Stored JSON text as a value of an answer: null when there is none (pruned, or not
 * normalized), the text itself when it is JSON, else the text as a JSON string. `JSON.parse`
 * is iterative in V8, so checking it cannot overflow whatever its depth.
 */
export function storedJson(text: string | null): RawJson | string | null {
  if (text === null || text === "") return null;
  try {
    JSON.parse(text);
    return new RawJson(text.trim());
  } catch {
    return text;
  }
}

/**
 * The JSON text of an object whose top-level values are serialized with `JSON.stringify` and
 * whose {@link RawJson} values are spliced in as they are. Undefined values are left out, as
 * `JSON.stringify` does.
 */
export function objectJson(fields: Record<string, unknown>): string {
  const members: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const json = value instanceof RawJson ? value.text : JSON.stringify(value);
    if (json !== undefined) members.push(`${JSON.stringify(name)}:${json}`);
  }
  return `{${members.join(",")}}`;
}

/** A JSON answer whose body, `text`, has the shape `T`. */
export type JsonAnswer<T, S extends 200 = 200> = Response & TypedResponse<JSONParsed<T>, S, "json">;

/**
 * Answers JSON text built by {@link objectJson}. The type says which documented answer it is:
 * Hono's typed answers are a compile-time brand on a plain `Response`, which `c.json` adds the
 * same way; the tests parse real answers with the documented schema.
 */
export function jsonTextAnswer<T>(text: string): JsonAnswer<T> {
  return new Response(text, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
  }) as JsonAnswer<T>;
}
