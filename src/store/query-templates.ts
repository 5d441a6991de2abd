import type { Compilable, CompiledQuery, Kysely, Transaction } from "kysely";
import { isPostgres } from "./engine-of.js";
import type { Database } from "./schema.js";

/**
 * Compiled query templates for the statements the delivery engine runs over and over. Kysely
 * builds and compiles a query anew on every call, which cost the workers more than running the
 * statements; a template is built once per shape (and engine) with stand-ins for its values, and
 * each call only puts the values in place. The query stays written with the query builder, for
 * both engines alike.
 */

const STAND_IN = "\u0000shipcast-template-value:";

/** The stand-in for the `index`-th value of a template (typed as whatever the builder wants). */
export type Slot = <T = string>(index: number) => T;

const slot: Slot = <T>(index: number) => `${STAND_IN}${index}` as unknown as T;

interface Template {
  compiled: CompiledQuery<unknown>;
  /** For each parameter, the index of the value that replaces it, or -1 for a constant. */
  slots: number[];
}

const MAX_TEMPLATES = 512;
const templates = new Map<string, Template>();

/**
 * The query `build` makes, with `values[i]` wherever it used `slot(i)`. `key` names the shape:
 * a query whose text depends on its input (a list of n values) needs a key per shape.
 */
export function fromTemplate<O>(
  db: Kysely<Database> | Transaction<Database>,
  key: string,
  build: (slot: Slot) => Compilable<O>,
  values: readonly unknown[],
): CompiledQuery<O> {
  const fullKey = `${isPostgres(db) ? "pg" : "sqlite"}:${key}`;
  let template = templates.get(fullKey);
  if (template === undefined) {
    const compiled = build(slot).compile() as CompiledQuery<unknown>;
    const slots = compiled.parameters.map((parameter) =>
      typeof parameter === "string" && parameter.startsWith(STAND_IN)
        ? Number(parameter.slice(STAND_IN.length))
        : -1,
    );
    template = { compiled, slots };
    if (templates.size >= MAX_TEMPLATES) {
      const oldest = templates.keys().next().value;
      if (oldest !== undefined) templates.delete(oldest);
    }
    templates.set(fullKey, template);
  }
  const { compiled, slots } = template;
  return {
    ...compiled,
    parameters: compiled.parameters.map((parameter, i) => {
      const index = slots[i] ?? -1;
      return index < 0 ? parameter : values[index];
    }),
  } as CompiledQuery<O>;
}

/** `slot(first)` … `slot(first + count - 1)`: stand-ins for a list of `count` values. */
export function slots(slot: Slot, first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => slot(first + i));
}
