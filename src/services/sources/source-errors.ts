/** What a change to a source can be refused for; the API answers 422 and 409 with them. */

/** A problem with a request, by field. */
export interface SourceFieldProblem {
  field: string;
  message: string;
}

/** A request the sources cannot take as it is: every problem, by field (422). */
export class SourceInputError extends Error {
  override name = "SourceInputError";
  constructor(readonly problems: SourceFieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join("; "));
  }
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
