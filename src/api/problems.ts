/**
 * Validation problems by field: what every 422 lists, and what a 400 for a bad query names.
 */
import type { z } from "zod";

/** A problem by field, as every 422 lists them. */
export interface Problem {
  field: string;
  message: string;
}

/** The body of every 422. */
export function problemsBody(problems: Problem[]) {
  return { error: "validation failed" as const, problems };
}

/** zod issues as problems by field (`(body)` for the body as a whole). */
export function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    // A union reports each branch; its most relevant branch's issues say more than "invalid".
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      return best.map((inner) => ({
        field: [...issue.path, ...inner.path].map(String).join(".") || "(body)",
        message: inner.message,
      }));
    }
    return [{ field: issue.path.map(String).join(".") || "(body)", message: issue.message }];
  });
}

/** The message of a 400 for an invalid query string: every problem, `field: message; …`. */
export function invalidQueryMessage(error: z.ZodError): string {
  return `invalid query: ${problemsOf(error)
    .map((p) => `${p.field}: ${p.message}`)
    .join("; ")}`;
}
