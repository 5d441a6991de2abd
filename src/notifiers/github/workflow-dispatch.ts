/**
 * Starts a GitHub Actions workflow for a build hook: `POST /repos/{owner}/{repo}/actions/
 * workflows/{workflow_id}/dispatches` with the ref and the inputs, as the app's installation on
 * the repository. The workflow must have a `workflow_dispatch` trigger, and the app the
 * `actions: write` permission; GitHub answers 204 without a body.
 *
 * The app not being installed on the repository is a failure here (the user asked for this
 * build), not a skip as for commit statuses. GitHub's answers are classified by
 * `githubErrorResult`: a missing workflow, a workflow without `workflow_dispatch` (422) or a
 * missing permission (403) fail for good; rate limits, 5xx and no answer are retried.
 */
import type { BuildStarter, GithubWorkflowTarget } from "../kit/build-hook.js";
import type { AttemptResult, RequestFacts } from "../kit/notifier.js";
import type { GithubClients } from "./github-clients.js";
import { githubErrorResult, invalidatesInstallation } from "./github-errors.js";

/** What the starter needs: the app's installation clients. */
export interface WorkflowDispatchDeps {
  clients: GithubClients;
}

/** Creates the starter of `github_workflow` targets. */
export function githubWorkflowDispatch(
  deps: WorkflowDispatchDeps,
): BuildStarter<GithubWorkflowTarget> {
  const { clients } = deps;
  return async (target, { signal }) => {
    const [owner, repo, ...rest] = target.repository.split("/");
    if (!owner || !repo || rest.length > 0) {
      return { outcome: "failed", error: `"${target.repository}" is not an owner/repo name` };
    }
    const parameters = {
      owner,
      repo,
      workflow_id: target.workflow,
      ref: target.ref,
      inputs: target.inputs,
    };
    let action = "looking up the app's installation";
    let request: RequestFacts | undefined;
    try {
      const octokit = await clients.forRepository(owner, repo);
      if (octokit === undefined) {
        return {
          outcome: "failed",
          error: `the Shipcast GitHub App is not installed on ${target.repository}: install it there (with the actions: write permission) to start its workflows`,
        };
      }
      const dispatch = octokit.rest.actions.createWorkflowDispatch;
      request = requestFacts(dispatch.endpoint(parameters));
      action = `starting workflow ${target.workflow} on ${target.ref}`;
      const response = await dispatch({ ...parameters, request: { signal } });
      return { outcome: "succeeded", httpStatus: response.status, request };
    } catch (error) {
      if (invalidatesInstallation(error)) clients.forget(owner, repo);
      const result: AttemptResult = githubErrorResult(error, action);
      return request === undefined ? result : { ...result, request };
    }
  };
}

/** The request as the log shows it: the token is added later by Octokit and never appears. */
function requestFacts(endpoint: {
  method: string;
  url: string;
  headers?: Record<string, unknown>;
  body?: unknown;
}): RequestFacts {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(endpoint.headers ?? {})) {
    if (typeof value === "string") headers[name.toLowerCase()] = value;
  }
  headers.authorization = "[redacted]";
  return {
    method: endpoint.method,
    url: endpoint.url,
    headers,
    ...(endpoint.body === undefined ? {} : { body: JSON.stringify(endpoint.body) }),
  };
}
