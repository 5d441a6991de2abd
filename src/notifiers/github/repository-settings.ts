/**
 * The per-repository file `.github/shipcast.yml`: what a repository's owners choose about the
 * GitHub outputs (commit statuses, the pull-request comment) for their repository.
 *
 * It is read the way Probot's `context.config()` reads an app's file, through the config plugin
 * every ProbotOctokit carries: the repository's own file, else the same path in the owner's
 * `.github` repository, with `_extends` to share a file (merged shallowly, the extending file
 * winning). A repository file is readable by everyone with access to the repository, so it never
 * carries secrets or URLs: targets are configured on the Shipcast server and named here.
 */
import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { DeployEvent } from "../../events/deploy-event.js";
import { DEFAULT_STATUS_CONTEXT } from "../kit/status-context.js";

/** Where the file lives in a repository (and in the owner's `.github` repository). */
export const REPOSITORY_SETTINGS_PATH = ".github/shipcast.yml";

/** How long a repository's settings are remembered, by default. */
export const DEFAULT_SETTINGS_TTL_MS = 60_000;

/** A list of non-empty names; the messages say what the names are. */
const nameList = (item: string, items: string) =>
  z.array(
    z
      .string({ error: `expected ${item}` })
      .trim()
      .min(1, `expected ${item}`),
    {
      error: `expected a list of ${items}`,
    },
  );

/**
 * The schema of `.github/shipcast.yml`. Strict: an unknown key is an error, so a misspelt key or
 * a secret pasted into a public file is reported rather than ignored.
 */
export const repositorySettingsSchema = z.strictObject(
  {
    /** Post a commit status on deployed commits. Default true. */
    statuses: z.boolean({ error: "expected true or false" }).default(true),
    /** Keep one deploy comment up to date on pull requests. Default true. */
    comments: z.boolean({ error: "expected true or false" }).default(true),
    /**
     * Environments the GitHub outputs are about: names (`production`, `deploy-preview`) or types
     * (`PRODUCTION`, `STAGING`, `DEVELOPMENT`, `PREVIEW`), case-insensitive. Default: all
     * (omitted); an empty list matches none.
     */
    environments: nameList("an environment name or type", "environment names or types").optional(),
    /**
     * Template of the commit status context: `{environment}`, `{environment_type}`, `{project}`.
     * Default `shipcast/deploy: {environment}`. A target's own `context` takes precedence.
     */
    status_context: z
      .string({ error: 'expected a text such as "shipcast/deploy: {environment}"' })
      .trim()
      .min(1, "must not be empty")
      .default(DEFAULT_STATUS_CONTEXT),
    /** Names of targets configured on the Shipcast server to notify too. Default none. */
    notify: nameList("a target name", "target names").default([]),
  },
  { error: "expected a mapping of settings (key: value lines)" },
);

/** The settings of one repository, defaults applied. */
export type RepositorySettings = z.output<typeof repositorySettingsSchema>;

/** What reading the file gives: the settings, or why the file cannot be used. */
export type RepositorySettingsResult =
  | { ok: true; settings: RepositorySettings }
  | { ok: false; problem: string };

/** One file the config plugin read (it does not export the type by this name). */
type ConfigFile = Awaited<ReturnType<ProbotOctokit["config"]["get"]>>["files"][number];

/** Errors the config plugin raises about a file (as opposed to the API's errors). */
const PLUGIN_PREFIX = "[@probot/octokit-plugin-config]";

/** Keys that suggest someone is about to publish a credential or an endpoint. */
const SECRET_LIKE_KEY = /url|token|secret|password|passwd|auth|key|webhook|header/i;

/** The file's name in a message: its path, with the repository when it is not the one read. */
function fileName(
  file: { owner: string; repo: string; path: string },
  owner: string,
  repo: string,
) {
  const same = `${file.owner}/${file.repo}`.toLowerCase() === `${owner}/${repo}`.toLowerCase();
  return same ? file.path : `${file.owner}/${file.repo}:${file.path}`;
}

function pathText(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    text += typeof part === "number" ? `[${part}]` : `${text === "" ? "" : "."}${String(part)}`;
  }
  return text;
}

/** The first problem zod found, in the words a repository owner needs. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path);
  const prefix = where === "" ? "" : `${where}: `;
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${key}"`).join(", ");
    const allowed = Object.keys(repositorySettingsSchema.shape).join(", ");
    const secret = issue.keys.some((key) => SECRET_LIKE_KEY.test(key));
    return secret
      ? `${prefix}unknown key ${keys}: a repository file never carries URLs or secrets; configure targets on the Shipcast server and list their names under notify`
      : `${prefix}unknown key ${keys} (known keys: ${allowed})`;
  }
  return `${prefix}${issue.message}`;
}

/** The file a plugin error is about, from the contents API URL it quotes. */
function fileFromPluginMessage(
  message: string,
  owner: string,
  repo: string,
): { name: string; rest: string } {
  const url = /https?:\/\/[^\s"]+?(?=[\s")]|$)/.exec(message)?.[0];
  const parts =
    url === undefined ? null : /\/repos\/([^/]+)\/([^/]+)\/contents\/([^?#]+)/.exec(url);
  const name =
    parts === null
      ? REPOSITORY_SETTINGS_PATH
      : fileName(
          {
            owner: decodeURIComponent(parts[1] ?? owner),
            repo: decodeURIComponent(parts[2] ?? repo),
            path: decodeURIComponent(parts[3] ?? REPOSITORY_SETTINGS_PATH),
          },
          owner,
          repo,
        );
  return { name, rest: url === undefined ? message : message.split(url).join(name) };
}

/** A config plugin error, as `<file>: <problem>`. */
function pluginProblem(error: Error, owner: string, repo: string): string {
  const message = error.message.slice(PLUGIN_PREFIX.length).trim();
  const { name, rest } = fileFromPluginMessage(message, owner, repo);
  if (message.includes("(invalid YAML)")) {
    const cause = error.cause instanceof Error ? error.cause.message.split("\n")[0] : undefined;
    const detail = cause?.replace(/:\s*$/, "").trim();
    return `${name}: invalid YAML${detail ? `: ${detail}` : ""}`;
  }
  if (message.includes("(YAML is not an object)")) {
    return `${name}: expected a mapping of settings (key: value lines), not a single value`;
  }
  if (message.includes("directory or a submodule")) {
    return `${name}: is a directory or a submodule, not a file`;
  }
  const extendsValue = /Invalid value (.+) for _extends/.exec(message)?.[1];
  if (extendsValue !== undefined) {
    return `${name}: _extends: invalid value ${extendsValue} (expected repo, owner/repo or owner/repo:path.yml)`;
  }
  if (message.startsWith("Recursion detected")) {
    return `${name}: _extends: the files extend each other in a loop`;
  }
  return rest;
}

function isPluginError(error: unknown): error is Error {
  return error instanceof Error && error.message.startsWith(PLUGIN_PREFIX);
}

/**
 * Reads and validates `.github/shipcast.yml` of `owner/repo` (falling back to the owner's
 * `.github` repository, following `_extends`). No file anywhere gives the defaults.
 *
 * @returns the settings, or `{ ok: false }` when a file is broken (invalid YAML, a value of the
 *   wrong type, an unknown key), with a message naming the file and the problem, e.g.
 *   `.github/shipcast.yml: environments: expected a list of environment names or types`.
 * @throws the API's errors (Octokit `RequestError`s) unchanged, for the caller to classify.
 */
export async function readRepositorySettings(
  octokit: ProbotOctokit,
  owner: string,
  repo: string,
): Promise<RepositorySettingsResult> {
  let files: ConfigFile[];
  try {
    ({ files } = await octokit.config.get({ owner, repo, path: REPOSITORY_SETTINGS_PATH }));
  } catch (error) {
    if (isPluginError(error)) return { ok: false, problem: pluginProblem(error, owner, repo) };
    throw error;
  }
  // Each file on its own first, so that the message names the file that is wrong.
  for (const file of files) {
    if (file.config === null) continue;
    const checked = repositorySettingsSchema.safeParse(file.config);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const problem = issue === undefined ? "invalid settings" : describeIssue(issue);
      return { ok: false, problem: `${fileName(file, owner, repo)}: ${problem}` };
    }
  }
  // `files` runs from the repository's file to the last one it extends: later files are bases.
  const merged = Object.assign(
    {},
    ...files
      .map((file) => file.config)
      .filter((config) => config !== null)
      .reverse(),
  ) as Record<string, unknown>;
  const parsed = repositorySettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      problem: `${REPOSITORY_SETTINGS_PATH}: ${issue === undefined ? "invalid settings" : describeIssue(issue)}`,
    };
  }
  return { ok: true, settings: parsed.data };
}

/**
 * Whether the repository's settings let the GitHub outputs speak about `event`'s environment:
 * `environments` omitted means all; otherwise one entry must equal the environment's name or
 * type, ignoring case.
 */
export function appliesTo(settings: RepositorySettings, event: DeployEvent): boolean {
  if (settings.environments === undefined) return true;
  const name = event.environment.name.toLowerCase();
  const type = event.environment.type.toLowerCase();
  return settings.environments.some((entry) => {
    const wanted = entry.toLowerCase();
    return wanted === name || wanted === type;
  });
}

/**
 * Remembers each repository's settings for a short while (default 60 s), so that the status and
 * the comment notifiers of one event read the file once. Reads in flight are shared. A broken
 * file is remembered like a good one (it stays broken until someone pushes); API errors are not.
 */
export class RepositorySettingsCache {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<
    string,
    { result: Promise<RepositorySettingsResult>; expiresAt: number }
  >();

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_SETTINGS_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The settings of `owner/repo`, read with `octokit` unless remembered. */
  read(octokit: ProbotOctokit, owner: string, repo: string): Promise<RepositorySettingsResult> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.result;
    const result = readRepositorySettings(octokit, owner, repo);
    const entry = { result, expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    result.then(
      () => {
        entry.expiresAt = this.now() + this.ttlMs;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.prune();
    return result;
  }

  /** Forgets `owner/repo`'s settings (e.g. after a push to the file), or everything. */
  clear(owner?: string, repo?: string): void {
    if (owner === undefined || repo === undefined) this.entries.clear();
    else this.entries.delete(`${owner}/${repo}`.toLowerCase());
  }

  /** Drops expired entries now and then, so a long-running process does not collect them all. */
  private prune(): void {
    if (this.entries.size < 1000) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
