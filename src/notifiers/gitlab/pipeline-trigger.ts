/**
 * Starts a GitLab pipeline for a build hook, on the instance of `GITLAB_URL`, in one of GitLab's
 * two ways:
 *
 * - with the hook's pipeline trigger token: `POST /projects/:id/trigger/pipeline`, form fields
 *   `token`, `ref` and `variables[KEY]` (the token alone authorizes; no `GITLAB_TOKEN` needed);
 * - without one, as `GITLAB_TOKEN`'s user: `POST /projects/:id/pipeline` with `ref` and
 *   `variables` (the user needs the Developer role, and may run pipelines on the ref).
 *
 * One request per attempt, no retries of its own: 429, 5xx and 408 (`Retry-After` honoured) and
 * answers that never came are retried by the delivery engine; other answers fail with GitLab's
 * message. Neither the token nor `GITLAB_TOKEN` appears in the request facts or in an error.
 */
import {
  CONNECTION_ERRORS,
  errorCode,
  innermostMessage,
  parseRetryAfter,
} from "../../outbound/http-facts.js";
import type { BuildStarter, GitlabPipelineTarget } from "../kit/build-hook.js";
import type { AttemptResult, RequestFacts } from "../kit/notifier.js";

/** What the starter needs: the instance, and `GITLAB_TOKEN` when there is one. */
export interface PipelineTriggerDeps {
  /** Web URL of the instance (`GITLAB_URL`); the API is under `/api/v4`. */
  url: string;
  /** `GITLAB_TOKEN` (api scope), used for hooks without a trigger token. */
  token?: string;
  /** The fetch to use. Default: the global one (the instance is configured, not user input). */
  fetch?: typeof globalThis.fetch;
}

const REDACTED = "[redacted]";
/** Characters of GitLab's answer kept in the log and quoted in an error. */
const MAX_RESPONSE = 2000;
const MAX_MESSAGE = 300;

const HINTS: Readonly<Record<number, string>> = {
  400: "GitLab refused the request: check the ref and the variables",
  401: "the token is invalid, expired or revoked",
  403: "the token's user may not run pipelines on this ref",
  404: "the project was not found, or the token may not see it (a trigger token must be the project's own)",
};

/** Creates the starter of `gitlab_pipeline` targets. */
export function gitlabPipelineTrigger(
  deps: PipelineTriggerDeps,
): BuildStarter<GitlabPipelineTarget> {
  const api = `${deps.url.replace(/\/+$/, "")}/api/v4`;
  const send = deps.fetch ?? globalThis.fetch;
  return async (target, { signal }) => {
    const project = encodeURIComponent(target.project);
    const variables = Object.entries(target.variables ?? {});
    let url: string;
    let init: { headers: Record<string, string>; body: string };
    let logged: RequestFacts;
    if (target.trigger_token !== undefined) {
      url = `${api}/projects/${project}/trigger/pipeline`;
      const form = new URLSearchParams({ token: target.trigger_token, ref: target.ref });
      for (const [key, value] of variables) form.append(`variables[${key}]`, value);
      const shown = new URLSearchParams(form);
      shown.set("token", REDACTED);
      init = {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      };
      logged = { method: "POST", url, headers: init.headers, body: shown.toString() };
    } else if (deps.token !== undefined) {
      url = `${api}/projects/${project}/pipeline`;
      init = {
        headers: { "content-type": "application/json", "private-token": deps.token },
        body: JSON.stringify({
          ref: target.ref,
          variables: variables.map(([key, value]) => ({ key, value })),
        }),
      };
      logged = {
        method: "POST",
        url,
        headers: { ...init.headers, "private-token": REDACTED },
        body: init.body,
      };
    } else {
      return {
        outcome: "failed",
        error: "no way to start the pipeline: give the hook a trigger_token, or set GITLAB_TOKEN",
      };
    }

    let response: Response;
    let text: string;
    try {
      response = await send(url, { method: "POST", ...init, redirect: "manual", signal });
      text = await response.text();
    } catch (error) {
      return { ...networkFailure(error, signal), request: logged };
    }
    const secrets = [target.trigger_token, deps.token].filter(
      (secret): secret is string => secret !== undefined && secret.length >= 4,
    );
    const scrub = (value: string) =>
      secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join(REDACTED), value);
    const facts = {
      httpStatus: response.status,
      response: scrub(text.slice(0, MAX_RESPONSE)),
      responseHeaders: Object.fromEntries(response.headers.entries()),
      request: logged,
    };
    return { ...classify(response, scrub(gitlabMessage(text))), ...facts } as AttemptResult;
  };
}

/** GitLab's `message` or `error` (objects as JSON), else the text; one line, short. */
function gitlabMessage(text: string): string {
  let said: unknown = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown } | null;
    said = parsed?.message ?? parsed?.error ?? text;
  } catch {
    // Not JSON: the text is GitLab's word.
  }
  const line = (typeof said === "string" ? said : JSON.stringify(said)).replace(/\s+/g, " ");
  return line.length <= MAX_MESSAGE ? line.trim() : `${line.slice(0, MAX_MESSAGE - 1)}…`;
}

function classify(
  response: Response,
  message: string,
):
  | { outcome: "succeeded" }
  | { outcome: "retry" | "failed"; error: string; retryAfterMs?: number } {
  const { status } = response;
  if (status >= 200 && status < 300) return { outcome: "succeeded" };
  const said = message === "" ? `${status}` : `${status}: ${message}`;
  if (status >= 300 && status < 400) {
    return { outcome: "failed", error: `GitLab answered ${status}: redirects are not followed` };
  }
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return {
      outcome: "retry",
      error: `starting the pipeline: GitLab answered ${said}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const hint = HINTS[status];
  return {
    outcome: "failed",
    error: `starting the pipeline: GitLab answered ${said}${hint === undefined ? "" : ` (${hint})`}`,
  };
}

function networkFailure(error: unknown, signal: AbortSignal): AttemptResult {
  if (signal.aborted) {
    return { outcome: "retry", error: "starting the pipeline: timed out waiting for GitLab" };
  }
  const code = errorCode(error);
  const known = code === undefined ? undefined : CONNECTION_ERRORS[code];
  if (known !== undefined) {
    return { outcome: "retry", error: `starting the pipeline: ${known} (${code})` };
  }
  return {
    outcome: "retry",
    error: `starting the pipeline: request to GitLab failed${code === undefined ? "" : ` (${code})`}: ${innermostMessage(error)}`,
  };
}
