import { githubSource } from "./github-source.js";
import { gitlabSource } from "./gitlab-source.js";
import { netlifySource } from "./netlify-source.js";
import type { SourceDefinition } from "./source.js";

/** Every inbound source, by name. */
export const SOURCES: readonly SourceDefinition[] = [githubSource, gitlabSource, netlifySource];

export function sourceByName(name: string): SourceDefinition | undefined {
  return SOURCES.find((source) => source.name === name);
}
