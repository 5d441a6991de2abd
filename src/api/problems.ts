/**
 * Validation problems as the API answers them: the body of every 422, and what a 400 for a bad
 * query names. The problems themselves come from the services (`services/problems.ts`).
 */
import type { z } from "zod";
import { type Problem, problemsOf } from "../services/problems.js";

export { type Problem, problemsOf };

/** The body of every 422. */
export function problemsBody(problems: Problem[]) {
  return { error: "validation failed" as const, problems };
}

/** The message of a 400 for an invalid query string: every problem, `field: message; …`. */
export function invalidQueryMessage(error: z.ZodError): string {
  return `invalid query: ${problemsOf(error)
    .map((p) => `${p.field}: ${p.message}`)
    .join("; ")}`;
}
