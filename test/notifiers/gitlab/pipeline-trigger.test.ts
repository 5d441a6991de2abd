import nock from "nock";
import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { gitlabPipelineTrigger } from "../../../src/notifiers/gitlab/pipeline-trigger.js";
import type { GitlabPipelineTarget } from "../../../src/notifiers/kit/build-hook.js";
import type { DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { useStrictNock } from "../../helpers/strict-nock.js";

const GITLAB = "https://gitlab.example.com";
const API_TOKEN = "glpat-api-token-0123456789";
const TRIGGER_TOKEN = "glptt-trigger-token-0123456789";

const context: DeliveryContext = {
  deliveryId: "dlv_1",
  eventId: "evt_1",
  event: { kind: "build.requested" } as DeployEvent,
  attempt: 1,
  signal: new AbortController().signal,
};

const target: GitlabPipelineTarget = {
  type: "gitlab_pipeline",
  project: "group/web",
  ref: "main",
  variables: { DEPLOY_ENV: "production", DRY_RUN: "false" },
};

describe("starting a GitLab pipeline", () => {
  useStrictNock();

  it("posts token, ref and variables[...] to the trigger endpoint, and never logs the token", async () => {
    let form: URLSearchParams | undefined;
    nock(GITLAB)
      .post("/api/v4/projects/group%2Fweb/trigger/pipeline", (body: string) => {
        form = new URLSearchParams(body);
        return true;
      })
      .matchHeader("content-type", "application/x-www-form-urlencoded")
      .reply(201, { id: 77, status: "created", web_url: `${GITLAB}/group/web/-/pipelines/77` });
    const start = gitlabPipelineTrigger({ url: GITLAB, token: API_TOKEN });
    const result = await start({ ...target, trigger_token: TRIGGER_TOKEN }, context);
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(form && Object.fromEntries(form)).toEqual({
      token: TRIGGER_TOKEN,
      ref: "main",
      "variables[DEPLOY_ENV]": "production",
      "variables[DRY_RUN]": "false",
    });
    expect(result.response).toContain("pipelines/77");
    expect(result.request?.body).toContain("token=%5Bredacted%5D");
    expect(JSON.stringify(result)).not.toContain(TRIGGER_TOKEN);
    expect(JSON.stringify(result)).not.toContain(API_TOKEN);
  });

  it("creates the pipeline as GITLAB_TOKEN's user without a trigger token", async () => {
    let body: unknown;
    nock(GITLAB)
      .post("/api/v4/projects/4242/pipeline", (sent) => {
        body = sent;
        return true;
      })
      .matchHeader("private-token", API_TOKEN)
      .reply(201, { id: 78, status: "created" });
    const start = gitlabPipelineTrigger({ url: `${GITLAB}/`, token: API_TOKEN });
    const result = await start({ ...target, project: "4242" }, context);
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(body).toEqual({
      ref: "main",
      variables: [
        { key: "DEPLOY_ENV", value: "production" },
        { key: "DRY_RUN", value: "false" },
      ],
    });
    expect(result.request?.headers["private-token"]).toBe("[redacted]");
  });

  it("fails without a trigger token and without GITLAB_TOKEN, sending nothing", async () => {
    const result = await gitlabPipelineTrigger({ url: GITLAB })(target, context);
    expect(result).toMatchObject({ outcome: "failed" });
  });

  it("retries a 429 after GitLab's Retry-After, and fails a 400 with GitLab's message", async () => {
    const start = gitlabPipelineTrigger({ url: GITLAB, token: API_TOKEN });
    nock(GITLAB)
      .post("/api/v4/projects/group%2Fweb/pipeline")
      .reply(429, "Retry later", { "retry-after": "30" });
    expect(await start(target, context)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 30_000,
      httpStatus: 429,
    });
    nock(GITLAB)
      .post("/api/v4/projects/group%2Fweb/pipeline")
      .reply(400, { message: { base: ["Reference not found"] } });
    const refused = await start(target, context);
    expect(refused).toMatchObject({ outcome: "failed", httpStatus: 400 });
    expect("error" in refused && refused.error).toContain("Reference not found");
  });
});
