import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { createGithubClients } from "../../../src/notifiers/github/github-clients.js";
import { githubWorkflowDispatch } from "../../../src/notifiers/github/workflow-dispatch.js";
import type { GithubWorkflowTarget } from "../../../src/notifiers/kit/build-hook.js";
import {
  createTestProbot,
  deliveryContext,
  github,
  INSTALLATION_ID,
  mockInstallation,
  mockNotInstalled,
  mockToken,
  useStrictNock,
} from "./github-test-kit.js";

const event = { kind: "build.requested" } as DeployEvent;
const target: GithubWorkflowTarget = {
  type: "github_workflow",
  repository: "acme/web",
  workflow: "deploy.yml",
  ref: "release/1.2",
  inputs: { environment: "production" },
};

function starter() {
  return githubWorkflowDispatch({ clients: createGithubClients(createTestProbot()) });
}

describe("starting a GitHub Actions workflow", () => {
  useStrictNock();

  it("sends workflow_dispatch with the ref and the inputs as the installation, and logs the request without the token", async () => {
    let body: unknown;
    mockInstallation("acme", "web");
    mockToken();
    github()
      .post("/repos/acme/web/actions/workflows/deploy.yml/dispatches", (sent) => {
        body = sent;
        return true;
      })
      .matchHeader("authorization", "token test")
      .reply(204);
    const result = await starter()(target, deliveryContext(event));
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 204 });
    expect(body).toEqual({ ref: "release/1.2", inputs: { environment: "production" } });
    expect(result.request).toMatchObject({
      method: "POST",
      url: "https://api.github.com/repos/acme/web/actions/workflows/deploy.yml/dispatches",
      headers: { authorization: "[redacted]" },
      body: JSON.stringify({ ref: "release/1.2", inputs: { environment: "production" } }),
    });
    expect(JSON.stringify(result)).not.toContain("token test");
  });

  it("fails for good when the app is not installed on the repository", async () => {
    mockNotInstalled("acme", "web");
    const result = await starter()(target, deliveryContext(event));
    expect(result).toMatchObject({ outcome: "failed" });
    expect("error" in result && result.error).toContain("not installed on acme/web");
  });

  it("fails for good when the workflow has no workflow_dispatch trigger (422)", async () => {
    mockInstallation("acme", "web");
    mockToken(INSTALLATION_ID);
    github()
      .post("/repos/acme/web/actions/workflows/deploy.yml/dispatches")
      .reply(422, { message: "Workflow does not have 'workflow_dispatch' trigger" });
    const result = await starter()(target, deliveryContext(event));
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 422 });
    expect("error" in result && result.error).toContain("workflow_dispatch");
    expect(result.request?.url).toContain("/actions/workflows/deploy.yml/dispatches");
  });

  it("retries when GitHub answers 502", async () => {
    mockInstallation("acme", "web");
    mockToken(INSTALLATION_ID);
    github().post("/repos/acme/web/actions/workflows/4242/dispatches").reply(502, "bad gateway");
    const result = await starter()({ ...target, workflow: "4242" }, deliveryContext(event));
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 502 });
  });
});
