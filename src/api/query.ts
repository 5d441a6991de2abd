import type { ServerResponse } from "node:http";
import type { z } from "zod";
import { sendError } from "../server/respond.js";
import { decodeCursor } from "../store/events-repository.js";

/**
 * Parses a list's query string with its schema; on failure answers 400 listing every problem and
 * returns undefined. The `cursor` parameter, when present, must be one this API returned.
 */
export function parseListQuery<T extends { cursor?: string | undefined }>(
  schema: z.ZodType<T>,
  url: URL,
  res: ServerResponse,
): (T & { after: string | undefined }) | undefined {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    sendError(res, 400, `invalid query: ${problems.join("; ")}`);
    return undefined;
  }
  const { cursor } = parsed.data;
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && after === undefined) {
    sendError(res, 400, "invalid query: cursor: not a cursor this API returned");
    return undefined;
  }
  return { ...parsed.data, after };
}
