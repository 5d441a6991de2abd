/** Validation problems by field: what a refused request lists, from the API or a form. */
import type { z } from "zod";

/** A problem by field, as every 422 lists them. */
export interface Problem {
  field: string;
  message: string;
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
