/**
 * The GitLab API client every GitLab notifier shares: a `@gitbeaker/rest` `Gitlab` instance for
 * one instance (`GITLAB_URL`) and one token.
 *
 * The token is a personal, group or project access token with the `api` scope: commit statuses
 * and merge request notes are writes, which `read_api` does not allow. Its user needs at least the
 * Developer role on every project Shipcast reports to (GitLab requires it to post a commit
 * status; a note needs less). The token is sent in the `PRIVATE-TOKEN` header only.
 *
 * One change to gitbeaker's defaults: requests are sent exactly once. gitbeaker's own requester
 * retries 429 and 502 up to ten times within a quarter of a second and then throws an error that
 * has lost the answer, `Retry-After` included. The delivery engine owns retries and their
 * schedule, so here every non-2xx answer becomes a `GitbeakerRequestError` carrying the response
 * at once, for `gitlab-errors.ts` to classify.
 */
import { AsyncLocalStorage } from "node:async_hooks";
// gitbeaker's way to plug in a requester; installed with @gitbeaker/rest, at its version.
import {
  createRequesterFn,
  type FormattedResponse,
  type RequestOptions,
  type ResponseBodyTypes,
} from "@gitbeaker/requester-utils";
import { GitbeakerRequestError, GitbeakerTimeoutError, Gitlab } from "@gitbeaker/rest";

/** The client type the GitLab notifiers take (snake_case bodies, as GitLab sends them). */
export type GitlabApi = InstanceType<typeof Gitlab<false>>;

/** Options of `createGitlabClient`. */
export interface GitlabClientOptions {
  /** Web URL of the instance (`GITLAB_URL`), e.g. `https://gitlab.example.com`. */
  url: string;
  /** Access token with the `api` scope: a secret. */
  token: string;
  /**
   * Upper bound of one request in milliseconds (default 10 s). The attempt's own signal, when
   * given through `withAttemptSignal`, can end it sooner.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The signal of the delivery attempt a request belongs to. gitbeaker's methods take no signal
 * (an extra option would be sent as a body field), so the attempt's signal travels with the
 * async context instead and the requester picks it up.
 */
const attemptSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `fn` so that every GitLab request it makes is aborted with `signal` (the delivery
 * attempt's timeout). Requests made outside such a call only have the client's own timeout.
 */
export function withAttemptSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return attemptSignal.run(signal, fn);
}

/**
 * Creates the client for one GitLab instance.
 *
 * @param options.url the instance's web URL; the API is served under `/api/v4`.
 * @param options.token an access token with the `api` scope.
 */
export function createGitlabClient(options: GitlabClientOptions): GitlabApi {
  return new Gitlab({
    host: options.url.replace(/\/+$/, ""),
    token: options.token,
    queryTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    requesterFn: createRequesterFn((_resource, request) => Promise.resolve(request), sendOnce),
  });
}

/** What `createRequesterFn` hands the request handler: gitbeaker's prepared request. */
type PreparedRequest = RequestOptions & { prefixUrl?: string };

/**
 * Sends one prepared request, without retries, and shapes the answer as gitbeaker's own
 * requester does (JSON, text or blob body; headers as a plain object).
 */
async function sendOnce(
  endpoint: string,
  options?: Record<string, unknown>,
): Promise<FormattedResponse> {
  const { prefixUrl, searchParams, method, headers, body, signal, asStream } = (options ??
    {}) as PreparedRequest;
  const url = new URL(endpoint, prefixUrl?.endsWith("/") ? prefixUrl : `${prefixUrl ?? ""}/`);
  url.search = searchParams ?? "";
  const signals = [signal, attemptSignal.getStore()].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const request = new Request(url, {
    method: method ?? "GET",
    headers,
    body: body ?? null,
    signal: signals.length === 0 ? null : AbortSignal.any(signals),
  });
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === "TimeoutError" || name === "AbortError") {
      throw new GitbeakerTimeoutError("Query timeout was reached", { cause: error });
    }
    throw error;
  }
  if (!response.ok) throw await requestError(request, response);
  return {
    body: asStream ? (response.body as ResponseBodyTypes) : await readBody(response),
    headers: Object.fromEntries(response.headers.entries()),
    status: response.status,
  };
}

async function readBody(response: Response): Promise<ResponseBodyTypes> {
  if (response.status === 204) return null;
  const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (type === "application/json") return ((await response.json()) as ResponseBodyTypes) ?? {};
  if (type.startsWith("text/")) return response.text();
  return response.blob();
}

/**
 * The error gitbeaker's requester throws for a non-2xx answer: the description is GitLab's
 * `error` or `message` (an object message, such as validation errors, as JSON), else the text.
 */
async function requestError(request: Request, response: Response): Promise<GitbeakerRequestError> {
  const text = await response.text().catch(() => "");
  let description = text;
  if (response.headers.get("content-type")?.includes("application/json")) {
    try {
      const parsed = JSON.parse(text) as { error?: unknown; message?: unknown } | null;
      const said = parsed?.error ?? parsed?.message ?? "";
      description = typeof said === "string" ? said : JSON.stringify(said);
    } catch {
      // Not JSON after all: the text is the best description there is.
    }
  }
  return new GitbeakerRequestError(description, {
    cause: { description, request, response },
  });
}
