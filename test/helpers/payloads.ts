import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

const githubExamples = JSON.parse(
  readFileSync(require.resolve("@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
) as ExampleGroup[];

/** Real GitHub payloads of one event, from `@octokit/webhooks-examples`. */
export function githubExamplesOf(event: string): Record<string, unknown>[] {
  const group = githubExamples.find((g) => g.name === event);
  if (!group) throw new Error(`no GitHub examples for ${event}`);
  return group.examples;
}

/** A real payload from `test/fixtures/<provider>/<name>`, as its original text. */
export function fixtureText(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8");
}
