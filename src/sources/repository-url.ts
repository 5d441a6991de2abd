/**
 * A repository's web URL (`https://github.com/o/r`, `https://gitlab.example.com/g/sub/p.git`) read
 * into a `RepositoryRef`, for sources that name the repository themselves (generic reports). Pure.
 */
import type { NormalizeOptions, RepositoryRef } from "../events/deploy-event.js";
import { parseUrl } from "./json-access.js";

/**
 * The repository a URL names, when its host is a known GitHub (github.com, `GHE_HOST`) or GitLab
 * (gitlab.com, `GITLAB_URL`'s host); undefined otherwise, since writing to the wrong kind of
 * server would fail every delivery. A trailing `.git`, `/-/…` (GitLab pages) or `/tree/…`
 * (GitHub pages) is dropped.
 */
export function repositoryFromUrl(
  value: string | undefined,
  options: NormalizeOptions,
): RepositoryRef | undefined {
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
  let host: RepositoryRef["host"];
  let path: string[];
  if (isOneOf(options.githubHosts)) {
    host = "github";
    path = segments.slice(0, 2);
    if (path.length < 2) return undefined;
  } else if (isOneOf(options.gitlabHosts)) {
    host = "gitlab";
    const dash = segments.indexOf("-");
    path = dash === -1 ? segments : segments.slice(0, dash);
    if (path.length < 2) return undefined;
  } else {
    return undefined;
  }
  const last = path.length - 1;
  path[last] = (path[last] as string).replace(/\.git$/, "");
  const fullPath = path.join("/");
  return { host, origin: url.origin, fullPath, url: `${url.origin}/${fullPath}` };
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
