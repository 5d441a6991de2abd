/** What a change to a source can be refused for; the API answers 422 and 409 with them. */

import type { Problem } from "../problems.js";
import { InputError } from "../service-errors.js";

/** A problem with a request, by field. */
export type SourceFieldProblem = Problem;

/** A request the sources cannot take as it is: every problem, by field (422). */
export class SourceInputError extends InputError {
  override name = "SourceInputError";
}

/** A change to a source defined by an environment variable (409). */
export class ReadOnlySourceError extends Error {
  override name = "ReadOnlySourceError";
  constructor(readonly id: string) {
    super(
      `"${id}" is the source of an environment variable and is read-only here: change the variable, or create a source through the API`,
    );
  }
}
