import { bitriseSource } from "./bitrise-source.js";
import { genericSource } from "./generic-source.js";
import { githubSource } from "./github-source.js";
import { gitlabSource } from "./gitlab-source.js";
import { netlifySource } from "./netlify-source.js";
import { qoverySource } from "./qovery-source.js";
import type { EnvironmentSource, SourceDefinition, SourceKind } from "./source.js";

/** The sources with a fixed route enabled by an environment variable. */
export const SOURCES: readonly EnvironmentSource[] = [githubSource, gitlabSource, netlifySource];

/** Every kind of source; each can be a source managed through the API. */
export const SOURCE_KINDS: readonly SourceDefinition[] = [
  githubSource,
  gitlabSource,
  netlifySource,
  bitriseSource,
  qoverySource,
  genericSource,
];

/** The names of the kinds, for schemas and help texts. */
export const SOURCE_KIND_NAMES = SOURCE_KINDS.map((kind) => kind.name) as [
  SourceKind,
  ...SourceKind[],
];

/** A kind by name (an event's `source`), whether it also has an environment route or not. */
export function sourceByName(name: string): SourceDefinition | undefined {
  return SOURCE_KINDS.find((source) => source.name === name);
}
