/**
 * Installation-authenticated Octokit clients for the GitHub notifiers (DESIGN.md: the Probot app
 * "provides installation-authenticated Octokit clients to the GitHub notifiers").
 *
 * A deploy event names a repository, not an installation, so the installation is looked up with
 * the app's JWT (`GET /repos/{owner}/{repo}/installation`) and remembered: every status and
 * comment of a busy repository would otherwise cost one more request. Installation tokens are
 * cached by Probot itself (`probot.auth(id)` shares its token cache); a remembered id whose token
 * is refused (the app was uninstalled or reinstalled since) is looked up again at once.
 */
import type { Probot, ProbotOctokit } from "probot";
import type { DeployEvent } from "../../events/deploy-event.js";
import type { AttemptResult } from "../kit/notifier.js";
import { githubErrorStatus, isStaleInstallationError } from "./github-errors.js";

/** How long an installation id is remembered, by default. */
export const DEFAULT_INSTALLATION_TTL_MS = 10 * 60_000;
/** How long "not installed" is remembered, by default: installing the app should work soon. */
export const DEFAULT_NOT_INSTALLED_TTL_MS = 60_000;

/** What the GitHub notifiers need of the GitHub App. */
export interface GithubClients {
  /**
   * A client authenticated as the app's installation on `owner/repo`, or undefined when the app
   * is not installed there. Errors other than "not installed" propagate (Octokit errors: the
   * caller classifies them with `githubErrorResult`).
   */
  forRepository(owner: string, repo: string): Promise<ProbotOctokit | undefined>;
  /** The app's bot login, `<slug>[bot]`: the author of its comments. */
  appLogin(): Promise<string>;
  /**
   * Drops what is remembered about `owner/repo`'s installation, e.g. after GitHub refused its
   * token (401: the app was uninstalled since): the next `forRepository` asks GitHub again.
   */
  forget(owner: string, repo: string): void;
  /**
   * Web origin of the GitHub the app serves (`https://github.com`, or the GHE server's): events
   * about repositories on another GitHub are not this app's to write to.
   */
  readonly webOrigin: string;
}

/** Options of `createGithubClients`. */
export interface GithubClientsOptions {
  /** How long an installation id is remembered. Default 10 minutes. */
  cacheTtlMs?: number;
  /** How long "not installed" is remembered. Default 1 minute. */
  notInstalledTtlMs?: number;
  /** Web origin of the GitHub the app serves. Default `https://github.com`. */
  webOrigin?: string;
  /**
   * Create the installation token when the client is handed out (default true), so a removed
   * installation shows at once. Off for GitHub Enterprise Server: there, asking for the token
   * directly (`octokit.auth({ type: "installation" })`) ignores the API URL and goes to
   * api.github.com, so the token is left to the first request, which uses the right URL.
   */
  eagerToken?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

interface CachedInstallation {
  /** The installation id, or null for "not installed". */
  id: number | null;
  expiresAt: number;
}

/** `owner/repo` as a cache key: GitHub names are case-insensitive. */
function repositoryKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase();
}

/**
 * Creates the clients over a Probot instance (see `createProbot`). The app-level client
 * authenticates with the app's JWT; installation clients come from `probot.auth(id)`.
 */
export function createGithubClients(
  probot: Probot,
  options: GithubClientsOptions = {},
): GithubClients {
  const ttlMs = options.cacheTtlMs ?? DEFAULT_INSTALLATION_TTL_MS;
  const notInstalledTtlMs = Math.min(
    options.notInstalledTtlMs ?? DEFAULT_NOT_INSTALLED_TTL_MS,
    ttlMs,
  );
  const now = options.now ?? Date.now;
  const installations = new Map<string, CachedInstallation>();
  // Lookups in flight, so that concurrent deliveries for one repository ask GitHub once.
  const lookups = new Map<string, Promise<number | null>>();
  let login: Promise<string> | undefined;

  async function lookUp(owner: string, repo: string): Promise<number | null> {
    const app = await probot.auth();
    try {
      const { data } = await app.rest.apps.getRepoInstallation({ owner, repo });
      return data.id;
    } catch (error) {
      if (githubErrorStatus(error) === 404) return null;
      throw error;
    }
  }

  async function installationId(owner: string, repo: string): Promise<number | null> {
    const key = repositoryKey(owner, repo);
    const cached = installations.get(key);
    if (cached !== undefined && cached.expiresAt > now()) return cached.id;
    let lookup = lookups.get(key);
    if (lookup === undefined) {
      lookup = lookUp(owner, repo)
        .then((id) => {
          installations.set(key, {
            id,
            expiresAt: now() + (id === null ? notInstalledTtlMs : ttlMs),
          });
          return id;
        })
        .finally(() => lookups.delete(key));
      lookups.set(key, lookup);
    }
    return lookup;
  }

  return {
    webOrigin: (options.webOrigin ?? "https://github.com").replace(/\/+$/, ""),

    async forRepository(owner, repo) {
      for (let attempt = 1; ; attempt++) {
        const id = await installationId(owner, repo);
        if (id === null) return undefined;
        const octokit = await probot.auth(id);
        if (options.eagerToken === false) return octokit;
        try {
          // The token now rather than on the first request: the config plugin reads any 404 as
          // "no file", so a removed installation must show here, not later.
          await octokit.auth({ type: "installation" });
          return octokit;
        } catch (error) {
          if (attempt > 1 || !isStaleInstallationError(error)) throw error;
          // Removed (or reinstalled) under a remembered id: ask GitHub once more.
          installations.delete(repositoryKey(owner, repo));
        }
      }
    },

    appLogin() {
      if (login === undefined) {
        const asked = (async () => {
          const app = await probot.auth();
          const { data } = await app.rest.apps.getAuthenticated();
          const slug = data?.slug;
          if (!slug) throw new Error("GET /app answered without the app's slug");
          return `${slug}[bot]`;
        })();
        // A failure is not remembered: the next call asks again.
        asked.catch(() => {
          if (login === asked) login = undefined;
        });
        login = asked;
      }
      return login;
    },

    forget(owner, repo) {
      installations.delete(repositoryKey(owner, repo));
    },
  };
}

/**
 * The installation client for `repository`, or the `skipped` result when the app is not
 * installed there. Errors propagate as from `forRepository`.
 */
export async function installationClient(
  clients: Pick<GithubClients, "forRepository">,
  repository: GithubRepository,
): Promise<ProbotOctokit | AttemptResult> {
  const octokit = await clients.forRepository(repository.owner, repository.repo);
  if (octokit !== undefined) return octokit;
  return {
    outcome: "skipped",
    reason: `the Shipcast GitHub App is not installed on ${repository.fullPath}`,
  };
}

/** A repository on the GitHub the app serves, as the notifiers address it. */
export interface GithubRepository {
  owner: string;
  repo: string;
  /** `owner/repo` as the event names it. */
  fullPath: string;
  /** Web origin, e.g. `https://github.com`. */
  origin: string;
}

/**
 * The GitHub repository an event is about, when it is on the GitHub `clients` serve; otherwise
 * why not (the reason of a `skipped` result). An event about a github.com repository must not
 * be written to a same-named repository on a GHE server, and the other way round.
 */
export function githubRepositoryOf(
  event: DeployEvent,
  clients: Pick<GithubClients, "webOrigin">,
): { repository: GithubRepository } | { reason: string } {
  const ref = event.project.repository;
  if (ref === undefined || ref.host !== "github") {
    return { reason: "the event names no GitHub repository" };
  }
  const origin = ref.origin.replace(/\/+$/, "");
  if (origin.toLowerCase() !== clients.webOrigin.toLowerCase()) {
    return {
      reason: `${origin}/${ref.fullPath} is not on ${clients.webOrigin}, the GitHub this Shipcast GitHub App serves`,
    };
  }
  const [owner, repo, ...rest] = ref.fullPath.split("/");
  if (!owner || !repo || rest.length > 0) {
    return { reason: `"${ref.fullPath}" is not an owner/repo name` };
  }
  return { repository: { owner, repo, fullPath: ref.fullPath, origin } };
}
