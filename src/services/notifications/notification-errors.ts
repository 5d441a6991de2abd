/** What a change to a notification can be refused for; the API answers 422 and 409 with them. */

import type { Problem } from "../problems.js";
import { InputError } from "../service-errors.js";

/** A problem with a request, by field: the API answers 422 with all of them. */
export type FieldProblem = Problem;

/** A request the notifications cannot take as it is: every problem, by field. */
export class NotificationInputError extends InputError {
  override name = "NotificationInputError";
}

/** Raised for a change to a routing-file target or default output. */
export class ReadOnlyTargetError extends Error {
  override name = "ReadOnlyTargetError";
}

/** Why a routing-file target or default output cannot be changed through the API. */
export function readOnlyMessage(name: string): string {
  return `"${name}" is defined in the routing file (or is a default output) and is read-only here: change it in shipcast.yml`;
}
