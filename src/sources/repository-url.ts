/**
 * A repository's web URL (`https://github.com/o/r`, `https://gitlab.example.com/g/sub/p.git`) read
 * into a `RepositoryRef`, for sources that name the repository themselves (generic reports). Pure.
 */
import type { NormalizeOptions, RepositoryRef } from "../events/deploy-event.js";
import { parseUrl } from "./json-access.js";

/** A web URL read for its repository: the URL, its path segments and the kind of known host. */
export interface ForgeUrl {
  url: URL;
  segments: string[];
  /** Undefined when the host is neither a known GitHub nor a known GitLab. */
  host: RepositoryRef["host"] | undefined;
}

/**
 * Reads an http(s) URL and says whether its host is a known GitHub (github.com, `GHE_HOST`) or
 * GitLab (gitlab.com, `GITLAB_URL`'s host), matching either `host:port` or the bare hostname.
 * Undefined when the value is not an http(s) URL.
 */
export function readForgeUrl(
  value: string | undefined,
  options: NormalizeOptions,
): ForgeUrl | undefined {
  const url = parseUrl(value);
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return undefined;
  }
  const isOneOf = (hosts: string[]) =>
    hosts.some((host) => {
      const wanted = host.toLowerCase();
      return wanted === url.host || wanted === url.hostname;
    });
  const segments = url.pathname.split("/").filter((segment) => segment !== "");
  const host = isOneOf(options.githubHosts)
    ? "github"
    : isOneOf(options.gitlabHosts)
      ? "gitlab"
      : undefined;
  return { url, segments, host };
}

/**
 * The repository at `path` (its owner/group segments and name) on the URL's server; undefined
 * when the path has fewer than two segments, which names no repository.
 */
export function repositoryAt(
  host: RepositoryRef["host"],
  url: URL,
  path: string[],
): RepositoryRef | undefined {
  if (path.length < 2) return undefined;
  const fullPath = path.join("/");
  return { host, origin: url.origin, fullPath, url: `${url.origin}/${fullPath}` };
}

/**
 * The repository a URL names, when its host is a known GitHub or GitLab (see `readForgeUrl`);
 * undefined otherwise, since writing to the wrong kind of server would fail every delivery. A
 * trailing `.git`, `/-/…` (GitLab pages) or `/tree/…` (GitHub pages) is dropped.
 */
export function repositoryFromUrl(
  value: string | undefined,
  options: NormalizeOptions,
): RepositoryRef | undefined {
  const forge = readForgeUrl(value, options);
  if (forge?.host === undefined) return undefined;
  const { url, segments, host } = forge;
  const dash = segments.indexOf("-");
  const path =
    host === "github" ? segments.slice(0, 2) : dash === -1 ? segments : segments.slice(0, dash);
  const last = path.length - 1;
  if (last >= 0) path[last] = (path[last] as string).replace(/\.git$/, "");
  return repositoryAt(host, url, path);
}

/** The web URL of a commit of the repository. */
export function commitUrlOf(repository: RepositoryRef, sha: string): string {
  const base = repository.url ?? `${repository.origin}/${repository.fullPath}`;
  return repository.host === "github" ? `${base}/commit/${sha}` : `${base}/-/commit/${sha}`;
}

/** The web URL of a pull request (GitHub) or merge request (GitLab) of the repository. */
export function changeUrlOf(repository: RepositoryRef, number: number): string {
  const base = repository.url ?? `${repository.origin}/${repository.fullPath}`;
  return repository.host === "github"
    ? `${base}/pull/${number}`
    : `${base}/-/merge_requests/${number}`;
}
