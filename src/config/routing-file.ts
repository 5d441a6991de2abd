/**
 * The routing file, `shipcast.yml`: the targets Shipcast can notify and the routes that say which
 * events go to which targets. Read once at start-up; a file that does not validate stops the
 * start-up with every problem listed by line, so a typo never silently drops notifications.
 *
 * ```yaml
 * targets:
 *   ops-slack: { kind: slack, url: "${SLACK_WEBHOOK_URL}" }
 *   release-mail: { kind: email, to: [release@example.com] }
 * routes:
 *   - events: [deploy.failed, deploy.succeeded]
 *     environments: [PRODUCTION]
 *     projects: ["web*"]
 *     branches: ["main", "release/*"]
 *     notify: [ops-slack, release-mail]
 * alerts: [ops-slack]
 * repository_targets: [ops-slack]
 * ```
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Document, isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import {
  DEPLOY_EVENT_KINDS,
  ENVIRONMENT_TYPES,
  type EnvironmentType,
} from "../events/deploy-event.js";
import { REPOSITORY_NOTIFY_KIND } from "../notifiers/github/repository-notify.js";
import { BUILD_HOOK_ID_PREFIX } from "../notifiers/kit/build-hook.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import type { Route } from "../routing/route.js";

export type { Route } from "../routing/route.js";

/** The routing file looked for in the working directory when SHIPCAST_CONFIG is unset. */
export const DEFAULT_ROUTING_FILE = "shipcast.yml";

/**
 * Kinds of Shipcast's own deliveries (reading a repository's `notify`): not outputs a target may
 * use, and not target names.
 */
const INTERNAL_KINDS: readonly string[] = [REPOSITORY_NOTIFY_KIND];

/** A target's name: a letter or digit, then letters, digits, `-` and `_`. */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/i;

/** One place to notify, with settings its notifier has validated. */
export interface Target {
  name: string;
  /** The notifier kind serving it (`slack`, `email`, …), registered in the notifier registry. */
  kind: string;
  /** Everything but `kind`, as output by the notifier's `settings` schema. */
  settings: unknown;
  /**
   * Where the target was defined: the routing file, or a default output (commit statuses and
   * comments, named after their kind). The API may add others later.
   */
  source: "file" | "default";
}

/** The validated routing file. */
export interface RoutingConfig {
  /**
   * Absolute path of the file read; `undefined` when there is none. From `parseRoutingConfig`,
   * the name it was given.
   */
  file: string | undefined;
  /** Targets by name, in file order. */
  targets: Map<string, Target>;
  /** Routes in file order (the order of `routeEvent`'s answer). */
  routes: Route[];
  /** Targets told when a target's delivery health changes, each once. */
  alerts: string[];
  /**
   * Targets a repository's `.github/shipcast.yml` may name under `notify`, each once; any other
   * name is recorded as a skipped delivery.
   */
  repositoryTargets: string[];
  /** Names of the default outputs that are on (a target each, see `Target.source`). */
  defaultOutputs: string[];
}

/** One problem in the routing file. */
export interface RoutingProblem {
  /** 1-based line in the file, when the problem has a place in it. */
  line?: number;
  /** Where in the document, e.g. `routes[0].notify[1]`; `undefined` for file-level problems. */
  path?: string;
  message: string;
}

/**
 * The routing file cannot be used. The message names the file and lists every problem, one a
 * line, as `<file>:<line> <path>: <problem>`; `problems` holds the same, structured.
 */
export class RoutingFileError extends Error {
  override name = "RoutingFileError";

  constructor(
    /** The file as the user named it (or `shipcast.yml`). */
    readonly file: string,
    readonly problems: RoutingProblem[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((problem) => `  ${formatProblem(file, problem)}`);
    super(`Cannot load routing file ${file} (${count}):\n${lines.join("\n")}`);
  }
}

/** `shipcast.yml:7 routes[0].notify[1]: unknown target "ops-slak" (known: ops-slack)`. */
export function formatProblem(file: string, problem: RoutingProblem): string {
  const location = problem.line === undefined ? file : `${file}:${problem.line}`;
  return problem.path === undefined
    ? `${location}: ${problem.message}`
    : `${location} ${problem.path}: ${problem.message}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/**
 * An object that rejects keys it does not know, naming the ones it does: an unknown key is
 * almost always a typo (`enviroments`), and ignoring it would widen a route without a word.
 */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown key (allowed: ${allowed})` : undefined,
  });
}

/** A target name as written in a `notify` or `alerts` list; existence is checked file-wide. */
const targetReferenceSchema = z.string().min(1);

/** A target name, the key of `targets`. */
export const targetNameSchema = z
  .string()
  .regex(TARGET_NAME_PATTERN, {
    error: 'invalid target name: use letters, digits, "-" and "_", starting with a letter or digit',
  })
  .refine((name) => !name.toLowerCase().startsWith("ntf_"), {
    error:
      'target names starting with "ntf_" are reserved for notifications created through the API',
  })
  // A name of a build hook's shape would resolve to that hook (the planner looks there first), so
  // every delivery to such a target would fail as "no such build hook".
  .refine((name) => !name.toLowerCase().startsWith(BUILD_HOOK_ID_PREFIX), {
    error: `target names starting with "${BUILD_HOOK_ID_PREFIX}" are reserved for build hooks`,
  })
  .refine((name) => !INTERNAL_KINDS.includes(name.toLowerCase()), {
    error: "reserved for Shipcast's own deliveries",
  });

const eventKindSchema = z.enum(DEPLOY_EVENT_KINDS, {
  error: (issue) =>
    `unknown event kind ${JSON.stringify(issue.input)} (known: ${DEPLOY_EVENT_KINDS.join(", ")})`,
});

/** Accepts `production` as well as `PRODUCTION`: YAML authors write environments in lower case. */
const environmentTypeSchema = z.string().transform((value, ctx): EnvironmentType => {
  const type = ENVIRONMENT_TYPES.find((known) => known === value.toUpperCase());
  if (type === undefined) {
    const known = ENVIRONMENT_TYPES.join(", ");
    ctx.addIssue({
      code: "custom",
      message: `unknown environment type ${JSON.stringify(value)} (known: ${known})`,
    });
    return z.NEVER;
  }
  return type;
});

/** A list filter: an empty list would match nothing, which is never what was meant. */
function filterList<T extends z.ZodType>(item: T, what: string) {
  return z.array(item).min(1, { error: `must not be empty (omit the key to match every ${what})` });
}

/** One route. Every filter is optional; a route without filters matches every event. */
export const routeSchema = strictObject({
  /** Event kinds: `"all"` or a non-empty list of `DeployEvent` kinds. Default `"all"`. */
  events: z
    .union([z.literal("all"), z.array(eventKindSchema).min(1)], {
      error: `expected "all" or a list of event kinds (${DEPLOY_EVENT_KINDS.join(", ")})`,
    })
    .default("all"),
  /**
   * Environment types (`PRODUCTION`, `STAGING`, `DEVELOPMENT`, `PREVIEW`; lower case accepted,
   * normalized to upper case). Default: every environment.
   */
  environments: filterList(environmentTypeSchema, "environment").optional(),
  /**
   * Project patterns, matched case-insensitively against the project name and the repository's
   * full path; `*` matches any run of characters, `/` included. Default: every project.
   */
  projects: filterList(z.string().min(1), "project").optional(),
  /**
   * Branch patterns with GitLab branch-filter semantics: an exact name or `*` wildcards (`/`
   * included), case-sensitive. Events without a branch never match. Default: every branch.
   */
  branches: filterList(z.string().min(1), "branch").optional(),
  /** Names of targets defined under `targets`. Required, at least one; no default. */
  notify: z.array(targetReferenceSchema).min(1),
});

export { DEFAULT_OUTPUT_KINDS, type DefaultOutputKind } from "../notifiers/kit/default-outputs.js";

import { DEFAULT_OUTPUT_KINDS, type DefaultOutputKind } from "../notifiers/kit/default-outputs.js";

/** A default output: `true` (on, the default), `false` (off), or route filters narrowing it. */
const defaultOutputSchema = z
  .union([z.boolean(), routeSchema.omit({ notify: true })], {
    error: "expected true, false, or filters (events, environments, projects, branches)",
  })
  .default(true);

/** `defaults`: one entry per default output kind; every entry defaults to `true`. */
export const defaultsSchema = strictObject(
  Object.fromEntries(DEFAULT_OUTPUT_KINDS.map((kind) => [kind, defaultOutputSchema])) as Record<
    DefaultOutputKind,
    typeof defaultOutputSchema
  >,
);

/**
 * One target: `kind` names the notifier, and the rest of the object is that notifier's settings,
 * validated by its own `settings` schema so its errors land at `targets.<name>.<field>`.
 */
export function targetSchema(registry: NotifierRegistry) {
  const kinds = () => registry.kinds().filter((kind) => !INTERNAL_KINDS.includes(kind));
  const known = () => kinds().sort().join(", ");
  return z
    .object({
      /** The notifier kind; one registered in the notifier registry. Required, no default. */
      kind: z.string({
        error: (issue) =>
          issue.input === undefined ? `required (known kinds: ${known()})` : undefined,
      }),
    })
    .catchall(z.unknown())
    .transform((target, ctx) => {
      const { kind, ...settings } = target;
      const notifier = kinds().includes(kind) ? registry.get(kind) : undefined;
      const offReason = registry.offReason(kind);
      if (notifier === undefined && offReason !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["kind"],
          message: `${kind} targets are off: ${offReason}`,
        });
        return z.NEVER;
      }
      if (notifier === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["kind"],
          message: `unknown kind ${JSON.stringify(kind)} (known: ${known()})`,
        });
        return z.NEVER;
      }
      const parsed = notifier.settings.safeParse(settings, { error: problemMessages });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
        return z.NEVER;
      }
      return { kind, settings: parsed.data as unknown };
    });
}

/**
 * The whole routing file. Every top-level key is optional, and an empty key (`targets:` with
 * everything below commented out) means its default.
 */
export function routingFileSchema(registry: NotifierRegistry) {
  return strictObject({
    /** Targets by name (see `targetSchema`). Default: none. */
    targets: z
      .record(targetNameSchema, targetSchema(registry))
      .nullish()
      .transform((targets) => targets ?? {}),
    /**
     * The default outputs (see `DEFAULT_OUTPUT_KINDS`): each `true`, `false` or filters.
     * Default: all on.
     */
    defaults: defaultsSchema
      .nullish()
      .transform((defaults) => defaults ?? defaultsSchema.parse({})),
    /** Routes, in order (see `routeSchema`). Default: none, so nothing is notified. */
    routes: z
      .array(routeSchema)
      .nullish()
      .transform((routes) => routes ?? []),
    /**
     * Targets told when a target's delivery health changes (failing, recovered). Default: none.
     */
    alerts: z
      .array(targetReferenceSchema)
      .nullish()
      .transform((alerts) => alerts ?? []),
    /**
     * Targets a repository's `.github/shipcast.yml` may name under `notify`; a repository naming
     * any other target gets a skipped delivery saying so, so one repository cannot send to
     * another team's channel. Default: none (a repository's `notify` reaches nothing).
     */
    repository_targets: z
      .array(targetReferenceSchema)
      .nullish()
      .transform((names) => names ?? []),
  }).superRefine(checkTargetReferences, {
    // Unknown names are reported even when other parts of the file are invalid: every problem
    // is listed at once.
    when: () => true,
  });
}

/**
 * Every `notify`, `alerts` and `repository_targets` entry must name a target of the file. Runs on a value that may be
 * partly invalid (see `when` above), so it trusts no shape.
 */
function checkTargetReferences(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  if (!isPlainObject(value) || !isPlainObject(value.targets)) return;
  const names = new Set(Object.keys(value.targets));
  const known =
    names.size === 0 ? "no targets are defined" : `known: ${[...names].sort().join(", ")}`;
  const check = (list: unknown, path: (string | number)[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((name, index) => {
      if (typeof name === "string" && name !== "" && !names.has(name)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, index],
          message: `unknown target ${JSON.stringify(name)} (${known})`,
          input: name,
        });
      }
    });
  };
  if (Array.isArray(value.routes)) {
    value.routes.forEach((route: unknown, index) => {
      if (isPlainObject(route)) check(route.notify, ["routes", index, "notify"]);
    });
  }
  check(value.alerts, ["alerts"]);
  check(value.repository_targets, ["repository_targets"]);
}

/**
 * Messages for Zod's generic issues, worded for someone editing YAML. Also passed to the
 * notifiers' settings schemas; their own messages still win.
 */
const problemMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? "required"
        : `expected ${describeType(issue.expected)}, got ${describeValue(issue.input)}`;
    case "unrecognized_keys":
      return "unknown key";
    case "too_small":
      return (issue.origin === "array" || issue.origin === "string") && Number(issue.minimum) === 1
        ? "must not be empty"
        : undefined;
    default:
      return undefined;
  }
};

function describeType(expected: string): string {
  if (expected === "array") return "a list";
  if (expected === "object" || expected === "record") return "a mapping";
  return `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `a string (${JSON.stringify(value)})`;
  return `a ${typeof value} (${String(value)})`;
}

// ---------------------------------------------------------------------------------------------
// Loading and parsing
// ---------------------------------------------------------------------------------------------

/** Options of {@link loadRoutingFile}. */
export interface LoadRoutingFileOptions {
  /** The file to read; overrides SHIPCAST_CONFIG. Relative paths are resolved against `cwd`. */
  path?: string;
  /** Where `shipcast.yml` is looked for, and relative paths are resolved from. */
  cwd: string;
  /** The environment: SHIPCAST_CONFIG, and the values of `${VAR}` references. */
  env: Record<string, string | undefined>;
  registry: NotifierRegistry;
}

/**
 * Reads and validates the routing file: `options.path`, else SHIPCAST_CONFIG, else
 * `shipcast.yml` in `cwd`. The default file is optional (no file: no targets, no routes); a file
 * named explicitly must exist. Throws a {@link RoutingFileError} listing every problem.
 */
export function loadRoutingFile(options: LoadRoutingFileOptions): RoutingConfig {
  const fromEnv = options.env.SHIPCAST_CONFIG?.trim() || undefined;
  const named = options.path ?? fromEnv;
  const shown = named ?? DEFAULT_ROUTING_FILE;
  const file = resolve(options.cwd, shown);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (named === undefined && code === "ENOENT") return emptyRoutingConfig(options.registry);
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : (error as Error).message;
    const details = [
      options.path === undefined && fromEnv !== undefined ? "named by SHIPCAST_CONFIG" : undefined,
      file === shown ? undefined : `resolved to ${file}`,
    ].filter((detail) => detail !== undefined);
    const suffix = details.length > 0 ? ` (${details.join(", ")})` : "";
    throw new RoutingFileError(shown, [{ message: `cannot read: ${reason}${suffix}` }]);
  }
  return { ...parseRoutingConfig(text, shown, options.env, options.registry), file };
}

/**
 * Parses and validates routing-file text. `fileName` is used in error messages and as the
 * result's `file`. `${VAR}` references in string values are replaced from `env` after the YAML
 * is parsed, so a value can never change the document's structure; `$${` stands for a literal
 * `${`. An empty document is an empty configuration.
 */
export function parseRoutingConfig(
  text: string,
  fileName: string,
  env: Record<string, string | undefined>,
  registry: NotifierRegistry,
): RoutingConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // Warnings (an unresolved tag, say) also mean the file does not say what its author thinks.
  const syntax = [...document.errors, ...document.warnings];
  if (syntax.length > 0) {
    throw new RoutingFileError(
      fileName,
      sortByLine(
        syntax.map((error) => ({
          line: lineCounter.linePos(error.pos[0]).line,
          path: "syntax",
          message: error.message,
        })),
      ),
    );
  }

  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // `toJS` refuses documents that expand aliases exponentially ("billion laughs").
    throw new RoutingFileError(fileName, [{ message: (error as Error).message }]);
  }
  const problems: RawProblem[] = [];
  const data = interpolate(value ?? {}, [], env, problems);
  // A value that could not be interpolated is reported once, for its variable; what the schema
  // would say about the placeholder left in its place is noise. Its key can still be wrong.
  const unresolved = problems.map((problem) => problem.path);
  const parsed = routingFileSchema(registry).safeParse(data, { error: problemMessages });
  if (!parsed.success) {
    for (const problem of flattenIssues(parsed.error.issues, [])) {
      const noise = !problem.aboutKey && unresolved.some((path) => isPrefix(path, problem.path));
      if (!noise) problems.push(problem);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new RoutingFileError(
      fileName,
      sortByLine(
        problems.map((problem) => ({
          line: lineOf(document, lineCounter, problem.path),
          path: formatPath(problem.path),
          message: problem.message,
        })),
      ),
    );
  }

  const { targets, routes, alerts, defaults, repository_targets } = parsed.data;
  const config: RoutingConfig = {
    file: fileName,
    targets: new Map(
      Object.entries(targets).map(([name, target]) => [
        name,
        { name, kind: target.kind, settings: target.settings, source: "file" as const },
      ]),
    ),
    routes: routes.map(toRoute),
    alerts: [...new Set(alerts)],
    repositoryTargets: [...new Set(repository_targets)],
    defaultOutputs: [],
  };
  addDefaultOutputs(config, defaults, registry);
  return config;
}

function emptyRoutingConfig(registry?: NotifierRegistry): RoutingConfig {
  const config: RoutingConfig = {
    file: undefined,
    targets: new Map(),
    routes: [],
    alerts: [],
    repositoryTargets: [],
    defaultOutputs: [],
  };
  if (registry) addDefaultOutputs(config, defaultsSchema.parse({}), registry);
  return config;
}

/**
 * Adds a target named after each default output kind that this deployment serves (its notifier
 * is registered), with a route of its filters. A file target of the same name takes precedence.
 */
function addDefaultOutputs(
  config: RoutingConfig,
  defaults: z.output<typeof defaultsSchema>,
  registry: NotifierRegistry,
): void {
  for (const kind of DEFAULT_OUTPUT_KINDS) {
    const setting = defaults[kind];
    if (setting === false || !registry.get(kind) || config.targets.has(kind)) continue;
    config.targets.set(kind, { name: kind, kind, settings: {}, source: "default" });
    config.defaultOutputs.push(kind);
    const filters = setting === true ? { events: "all" as const } : setting;
    config.routes.push(toRoute({ ...filters, notify: [kind] }));
  }
}

/** Drops the filters a route does not have, so `Route` objects carry no `undefined` keys. */
function toRoute(parsed: z.output<typeof routeSchema>): Route {
  const route: Route = { events: parsed.events, notify: parsed.notify };
  if (parsed.environments) route.environments = parsed.environments;
  if (parsed.projects) route.projects = parsed.projects;
  if (parsed.branches) route.branches = parsed.branches;
  return route;
}

// ---------------------------------------------------------------------------------------------
// `${VAR}` interpolation
// ---------------------------------------------------------------------------------------------

type PathSegment = string | number;

interface RawProblem {
  path: PathSegment[];
  message: string;
  /** The problem is the key itself (unknown, badly named), not the value under it. */
  aboutKey?: boolean;
}

/** `$${` (escape), `${NAME}`, or a `${` that never closes. */
const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPE_HINT = '(write "$${" for a literal "${")';

/** Replaces references in every string value (not in keys), depth first, recording problems. */
function interpolate(
  value: unknown,
  path: PathSegment[],
  env: Record<string, string | undefined>,
  problems: RawProblem[],
): unknown {
  if (typeof value === "string") return interpolateString(value, path, env, problems);
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolate(item, [...path, index], env, problems));
  }
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, so a `__proto__` key stays a key (and is then rejected as unknown).
      Object.defineProperty(result, key, {
        value: interpolate(item, [...path, key], env, problems),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

function interpolateString(
  text: string,
  path: PathSegment[],
  env: Record<string, string | undefined>,
  problems: RawProblem[],
): string {
  return text.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === "$${") return "${";
    if (name === undefined) {
      problems.push({ path, message: `unterminated "\${" ${ESCAPE_HINT}` });
      return match;
    }
    if (!VARIABLE_NAME.test(name)) {
      problems.push({
        path,
        message: `invalid variable reference ${JSON.stringify(match)} ${ESCAPE_HINT}`,
      });
      return match;
    }
    // Own properties only: `${constructor}` must not find Object.prototype.constructor.
    const replacement = Object.hasOwn(env, name) ? env[name] : undefined;
    if (replacement === undefined) {
      problems.push({ path, message: `environment variable ${name} is not set` });
      return match;
    }
    return replacement;
  });
}

// ---------------------------------------------------------------------------------------------
// Issues, paths and lines
// ---------------------------------------------------------------------------------------------

/**
 * Turns Zod issues into one problem per place: an unknown-keys issue becomes one problem per key
 * (at the key's line), a record-key issue says what is wrong with the key, and a union issue
 * reports the errors of the option whose type matched (`events: [deploy.fial]` is about the
 * list's item, not "expected all or a list").
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PathSegment[]): RawProblem[] {
  const problems: RawProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map(toSegment)];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: [...path, key], message: issue.message, aboutKey: true });
      }
    } else if (issue.code === "invalid_key") {
      const reasons = issue.issues.map((nested) => nested.message).join("; ");
      problems.push({ path, message: reasons || issue.message, aboutKey: true });
    } else if (issue.code === "invalid_union") {
      const matched = issue.errors.filter((option) => !option.some(isRootTypeMismatch));
      const only = matched.length === 1 ? matched[0] : undefined;
      if (only) problems.push(...flattenIssues(only, path));
      else problems.push({ path, message: issue.message });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

/** An option of a union failed on the value's type itself, not on something inside it. */
function isRootTypeMismatch(issue: z.core.$ZodIssue): boolean {
  return (
    issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "invalid_value")
  );
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === "number" ? key : String(key);
}

function isPrefix(prefix: PathSegment[], path: PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);
}

/** `routes[0].notify[1]`, `targets.ops-slack.url`; odd keys are quoted: `targets["a b"]`. */
function formatPath(path: PathSegment[]): string {
  if (path.length === 0) return "(top level)";
  let result = "";
  for (const segment of path) {
    if (typeof segment === "number") result += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) result += result === "" ? segment : `.${segment}`;
    else result += `[${JSON.stringify(segment)}]`;
  }
  return result;
}

/**
 * The line of the deepest node on `path` that exists in the document: for a mapping key, the
 * key's line (where a reader looks for it, and where a missing child would go); for a list item,
 * the item's. Aliases are not followed: the problem is reported where the alias is used.
 */
function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: PathSegment[],
): number | undefined {
  const lineAt = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  let node: unknown = document.contents;
  let line = lineAt(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => keyOf(item.key) === String(segment));
      if (pair === undefined) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      line = lineAt(item) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function keyOf(key: unknown): string {
  const value = (key as { value?: unknown } | null)?.value ?? key;
  return String(value);
}

function sortByLine(problems: RoutingProblem[]): RoutingProblem[] {
  // Stable: problems on one line keep the order they were found in; lineless ones go last.
  return [...problems].sort(
    (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
  );
}

/** A mapping as `toJS` builds it; not a list, nor a `!!binary` byte array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
