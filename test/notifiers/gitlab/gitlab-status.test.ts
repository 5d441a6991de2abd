import { readFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import { createGitlabClient } from "../../../src/notifiers/gitlab/gitlab-client.js";
import { gitlabStatusNotifier } from "../../../src/notifiers/gitlab/gitlab-status.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import { normalizeGitlab } from "../../../src/sources/gitlab-normalize.js";
import { useStrictNock } from "../../helpers/strict-nock.js";

const GITLAB_URL = "https://gitlab.example.com";
const TOKEN = "glpat-SecretToken0123456789";
const SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468";
const STATUSES = `/api/v4/projects/30/statuses/${SHA}`;
const NORMALIZE_OPTIONS = {
  githubHosts: ["github.com"],
  gitlabHosts: ["gitlab.com", "10.126.0.2:3000"],
};

useStrictNock();

const notifier = gitlabStatusNotifier({
  gitlab: createGitlabClient({ url: GITLAB_URL, token: TOKEN }),
});

/** The real Deployment Hook fixture, with `changes` applied to the payload first. */
function deploymentEvent(changes: Record<string, unknown> = {}): DeployEvent {
  const payload = {
    ...(JSON.parse(
      readFileSync(new URL("../../fixtures/gitlab/deployment.json", import.meta.url), "utf8"),
    ) as Record<string, unknown>),
    ...changes,
  };
  const result = normalizeGitlab(
    { headers: { "x-gitlab-event": "Deployment Hook" }, payload },
    NORMALIZE_OPTIONS,
  );
  if (isIgnored(result)) throw new Error(result.reason);
  return result;
}

function deliver(event: DeployEvent, settings: { name?: string } = {}): Promise<AttemptResult> {
  return notifier.deliver(settings, {
    deliveryId: "del-1",
    eventId: "evt-1",
    event,
    attempt: 1,
    signal: AbortSignal.timeout(5000),
  });
}

/** Expects one status POST to `path`; resolves to its body once made. */
function expectStatus(
  path = STATUSES,
  reply: { status: number; body: Record<string, unknown>; headers?: Record<string, string> } = {
    status: 201,
    body: { id: 93, status: "success" },
  },
): { body: () => Record<string, unknown> } {
  let body: Record<string, unknown> | undefined;
  nock(GITLAB_URL)
    .matchHeader("private-token", TOKEN)
    .post(path, (b: Record<string, unknown>) => {
      body = b;
      return true;
    })
    .reply(reply.status, reply.body, reply.headers);
  return {
    body: () => {
      if (body === undefined) throw new Error("no status was posted");
      return body;
    },
  };
}

describe("gitlab-status: the status", () => {
  it("posts success with the deploy URL, the default name, the description and the ref", async () => {
    const post = expectStatus();
    const result = await deliver(deploymentEvent());
    expect(result).toEqual({ outcome: "succeeded" });
    expect(post.body()).toEqual({
      state: "success",
      name: "shipcast/deploy: staging",
      target_url: "https://staging.example.com",
      description: "Deployed test-deployment-webhooks (staging)",
      ref: "1.0.0",
    });
  });

  it.each([
    ["running", "running"],
    ["failed", "failed"],
    ["canceled", "canceled"],
  ])("maps deployment status %s to state %s, linking the job log", async (status, state) => {
    const post = expectStatus();
    expect(await deliver(deploymentEvent({ status }))).toEqual({ outcome: "succeeded" });
    expect(post.body()).toMatchObject({
      state,
      target_url: "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796",
    });
  });

  it.each(["deploy.locked", "deploy.unlocked", "form.submitted"] as const)(
    "sets no status for %s",
    async (kind) => {
      expect(await deliver({ ...deploymentEvent(), kind })).toEqual({
        outcome: "skipped",
        reason: `no commit status for ${kind}`,
      });
    },
  );

  it("fills the name template", async () => {
    const post = expectStatus();
    await deliver(deploymentEvent(), { name: "deploy/{environment_type}/{project} {unknown}" });
    expect(post.body().name).toBe("deploy/STAGING/test-deployment-webhooks {unknown}");
  });

  it("falls back to the job log when the deploy URL is not http(s), and sends no other URL", async () => {
    const fallback = expectStatus();
    await deliver(deploymentEvent({ environment_external_url: "ftp://staging.example.com" }));
    expect(fallback.body().target_url).toBe(
      "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796",
    );

    const none = expectStatus();
    await deliver(deploymentEvent({ status: "failed", deployable_url: "javascript:alert(1)" }));
    expect(none.body()).not.toHaveProperty("target_url");
  });

  it("sends no ref when the event has none", async () => {
    const post = expectStatus();
    const event = deploymentEvent();
    await deliver({ ...event, commit: { ...event.commit, ref: undefined } });
    expect(post.body()).not.toHaveProperty("ref");
  });

  it("keeps the description within 140 characters", async () => {
    const post = expectStatus();
    const event = { ...deploymentEvent({ status: "failed" }), error: "out of memory ".repeat(40) };
    await deliver(event);
    const description = post.body().description as string;
    expect(description.length).toBeLessThanOrEqual(140);
    expect(description.startsWith("Deploy failed: out of memory")).toBe(true);
  });

  it("addresses the project by its path when the id is unknown", async () => {
    const event = deploymentEvent();
    const repository = {
      ...event.project.repository,
      id: undefined,
    } as DeployEvent["project"]["repository"];
    const post = expectStatus(`/api/v4/projects/root%2Ftest-deployment-webhooks/statuses/${SHA}`);
    await deliver({ ...event, project: { ...event.project, repository } });
    expect(post.body().state).toBe("success");
  });
});

describe("gitlab-status: GitLab's answers", () => {
  it.each([
    [401, "401 Unauthorized"],
    [403, "403 Forbidden"],
    [404, "404 Project Not Found"],
    [422, "Cannot create status: name has already been taken"],
  ])("%i is failed with GitLab's message", async (status, message) => {
    expectStatus(STATUSES, { status, body: { message } });
    const result = await deliver(deploymentEvent());
    expect(result).toMatchObject({ outcome: "failed", httpStatus: status });
    expect(result).toHaveProperty("error", expect.stringContaining(message));
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("retries a 500", async () => {
    expectStatus(STATUSES, { status: 500, body: { message: "500 Internal Server Error" } });
    expect(await deliver(deploymentEvent())).toMatchObject({ outcome: "retry", httpStatus: 500 });
  });

  it("retries a 429 after its Retry-After", async () => {
    expectStatus(STATUSES, {
      status: 429,
      body: { message: "Retry later" },
      headers: { "retry-after": "60" },
    });
    expect(await deliver(deploymentEvent())).toMatchObject({
      outcome: "retry",
      httpStatus: 429,
      retryAfterMs: 60_000,
    });
  });

  it("retries when GitLab cannot be reached", async () => {
    nock(GITLAB_URL)
      .post(STATUSES)
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const result = await deliver(deploymentEvent());
    expect(result).toMatchObject({ outcome: "retry" });
    expect(result).toHaveProperty("error", expect.stringContaining("connection refused"));
  });

  it("takes GitLab's refusal to move a running status to running as done", async () => {
    expectStatus(STATUSES, {
      status: 400,
      body: {
        message:
          'Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run")',
      },
    });
    expect(await deliver(deploymentEvent({ status: "running" }))).toMatchObject({
      outcome: "succeeded",
      response: "already running",
    });
  });

  it("fails on other refused transitions", async () => {
    expectStatus(STATUSES, {
      status: 400,
      body: { message: "Cannot transition status via :drop from :canceled" },
    });
    expect(await deliver(deploymentEvent({ status: "failed" }))).toMatchObject({
      outcome: "failed",
      httpStatus: 400,
    });
  });
});

describe("gitlab-status: what it leaves alone", () => {
  it("does not accept change.closed: a merge request's closing is for its note only", () => {
    const event = deploymentEvent();
    expect(notifier.accepts?.(event)).toBe(true);
    expect(notifier.accepts?.({ ...event, kind: "change.closed", change: { number: 1 } })).toBe(
      false,
    );
  });

  it("skips events without a GitLab repository or a commit", async () => {
    const event = deploymentEvent();
    expect(await deliver({ ...event, project: { name: "site" } })).toMatchObject({
      outcome: "skipped",
      reason: "the event names no GitLab repository",
    });
    const github = {
      ...event,
      project: {
        name: "r",
        repository: { host: "github", origin: "https://github.com", fullPath: "o/r" },
      },
    } satisfies DeployEvent;
    expect(await deliver(github)).toMatchObject({ outcome: "skipped" });
    expect(await deliver({ ...event, commit: { ref: "main" } })).toEqual({
      outcome: "skipped",
      reason: "the event names no commit",
    });
  });

  it("skips repositories on another instance when told the instance's origins", async () => {
    const guarded = gitlabStatusNotifier({
      gitlab: createGitlabClient({ url: GITLAB_URL, token: TOKEN }),
      origins: [GITLAB_URL],
    });
    const result = await guarded.deliver(
      {},
      {
        deliveryId: "del-1",
        eventId: "evt-1",
        event: deploymentEvent(),
        attempt: 1,
        signal: AbortSignal.timeout(5000),
      },
    );
    expect(result).toEqual({
      outcome: "skipped",
      reason: "the repository is on http://10.126.0.2:3000, not on the configured GitLab",
    });
  });

  it("validates its settings", () => {
    expect(notifier.settings.safeParse({}).success).toBe(true);
    expect(notifier.settings.safeParse({ name: "ci/{environment}" }).success).toBe(true);
    expect(notifier.settings.safeParse({ name: 3 }).success).toBe(false);
    expect(notifier.settings.safeParse({ context: "x" }).success).toBe(false);
  });

  it("has one subject per project, commit and environment", () => {
    expect(notifier.subject?.(deploymentEvent())).toBe(
      `gitlab|root/test-deployment-webhooks|${SHA}|staging`,
    );
  });
});
