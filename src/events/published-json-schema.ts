/** A zod schema published as a JSON Schema document (draft 2020-12) with its own id and title. */
import { z } from "zod";

/**
 * The JSON Schema of what `schema` accepts: its input side (`io: "input"`), so plain objects stay
 * open to fields added later and only strict ones refuse unknown fields. `$id` and `title` follow
 * `$schema`, then the generated body, then `description`.
 */
export function publishedJsonSchema(
  schema: z.ZodType,
  document: { id: string; title: string; description: string },
): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: document.id,
    title: document.title,
    ...rest,
    description: document.description,
  };
}
