import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import {
  createGithubClients,
  type GithubClients,
} from "../../../src/notifiers/github/github-clients.js";
import {
  CONFIG_STATUS_CONTEXT,
  githubStatusNotifier,
  statusTargetUrl,
} from "../../../src/notifiers/github/github-status.js";
import { RepositorySettingsCache } from "../../../src/notifiers/github/repository-settings.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import {
  createTestProbot,
  deliveryContext,
  github,
  INSTALLATION_ID,
  mockInstallation,
  mockNotInstalled,
  mockRepositoryReady,
  mockToken,
  netlifyEvent,
  OWNER,
  REPO,
  SHA,
  useStrictNock,
} from "./github-test-kit.js";

const STATUSES = `/repos/${OWNER}/${REPO}/statuses/${SHA}`;
const DEPLOY_URL = "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com";
const ADMIN_URL = "https://app.netlify.com/sites/dazzling-almeida-67ef75";

interface PostedStatus {
  state: string;
  context: string;
  description: string;
  target_url?: string;
}

let clients: GithubClients;
let notifier: ReturnType<typeof githubStatusNotifier>;
let now: number;

beforeEach(() => {
  now = Date.UTC(2026, 0, 1);
  clients = createGithubClients(createTestProbot(), { now: () => now });
  notifier = githubStatusNotifier({ clients, settingsCache: new RepositorySettingsCache() });
});

/** Mocks the status POST and collects what was posted. */
function expectStatus(
  reply: { status?: number; headers?: Record<string, string>; body?: object } = {},
) {
  const posted: PostedStatus[] = [];
  github()
    .post(STATUSES, (body: PostedStatus) => {
      posted.push(body);
      return true;
    })
    .matchHeader("authorization", "token test")
    .reply(
      reply.status ?? 201,
      (_uri, body) => reply.body ?? { id: 1, ...(body as object) },
      reply.headers ?? {},
    );
  return posted;
}

function deliver(event: DeployEvent, settings: { context?: string } = {}): Promise<AttemptResult> {
  return notifier.deliver(settings, deliveryContext(event));
}

const failedEvent = () => netlifyEvent({}, "deploy_failed.deploy-preview.json");

describe("the github-status notifier", () => {
  useStrictNock();

  it.each([
    ["deploy.started", "pending", "Deploying dazzling-almeida-67ef75 (deploy-preview)…"],
    ["deploy.succeeded", "success", "Deployed dazzling-almeida-67ef75 (deploy-preview)"],
    [
      "deploy.cancelled",
      "error",
      "Deploy of dazzling-almeida-67ef75 (deploy-preview) was cancelled",
    ],
  ] as const)("posts %s as %s", async (kind, state, description) => {
    mockRepositoryReady();
    const posted = expectStatus();
    const result = await deliver(netlifyEvent({ kind }));
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(posted).toEqual([
      expect.objectContaining({ state, description, context: "shipcast/deploy: deploy-preview" }),
    ]);
  });

  it("posts a failed deploy as failure, with the error, linking to the build log", async () => {
    mockRepositoryReady();
    const posted = expectStatus();
    const event = failedEvent();
    expect(await deliver(event)).toMatchObject({ outcome: "succeeded" });
    expect(posted[0]).toEqual({
      state: "failure",
      context: "shipcast/deploy: deploy-preview",
      description:
        "Deploy failed: failed during stage 'building site': Build script returned non-zero exit code: 1",
      target_url: event.urls.logs,
    });
  });

  it("links a successful deploy to the deployed site", async () => {
    mockRepositoryReady();
    const posted = expectStatus();
    await deliver(netlifyEvent());
    expect(posted[0]?.target_url).toBe(DEPLOY_URL);
  });

  it("cuts a long description at 140 characters with an ellipsis", async () => {
    mockRepositoryReady();
    const posted = expectStatus();
    const event = { ...failedEvent(), error: `Build exploded: ${"x".repeat(300)}` };
    expect(await deliver(event)).toMatchObject({ outcome: "succeeded" });
    const description = posted[0]?.description ?? "";
    expect(description).toHaveLength(140);
    expect(description.endsWith("…")).toBe(true);
    expect(description.startsWith("Deploy failed: Build exploded: xxx")).toBe(true);
  });

  it("omits target_url when the event has no http(s) URL", async () => {
    mockRepositoryReady();
    const posted = expectStatus();
    await deliver(netlifyEvent({ urls: { deploy: "ftp://example.com/site", logs: "not a url" } }));
    expect(posted[0]).not.toHaveProperty("target_url");
  });

  it("names the context from the repository's status_context", async () => {
    mockRepositoryReady('status_context: "deploys/{environment_type}: {project}"\n');
    const posted = expectStatus();
    await deliver(netlifyEvent());
    expect(posted[0]?.context).toBe("deploys/PREVIEW: dazzling-almeida-67ef75");
  });

  it("lets the target's context take precedence", async () => {
    mockRepositoryReady('status_context: "deploys/{environment_type}"\n');
    const posted = expectStatus();
    await deliver(netlifyEvent(), { context: "netlify/{environment}" });
    expect(posted[0]?.context).toBe("netlify/deploy-preview");
  });

  it.each(["deploy.locked", "deploy.unlocked", "form.submitted"] as const)(
    "posts nothing for %s",
    async (kind) => {
      expect(await deliver(netlifyEvent({ kind }))).toEqual({
        outcome: "skipped",
        reason: `no commit status for ${kind}`,
      });
    },
  );

  it("does not accept change.closed: a pull request's closing is for its comment only", () => {
    const event = netlifyEvent();
    expect(notifier.accepts?.(event)).toBe(true);
    expect(notifier.accepts?.({ ...event, kind: "change.closed" })).toBe(false);
  });

  it("skips events without a GitHub repository or a commit", async () => {
    const event = netlifyEvent();
    const { repository: _dropped, ...project } = event.project;
    expect(await deliver({ ...event, project })).toEqual({
      outcome: "skipped",
      reason: "the event names no GitHub repository",
    });
    const { commit: _commit, ...noCommit } = event;
    expect(await deliver(noCommit)).toEqual({
      outcome: "skipped",
      reason: "the event names no commit",
    });
  });

  it("skips a repository the app is not installed on, and remembers that for a minute", async () => {
    mockNotInstalled();
    const skipped = {
      outcome: "skipped",
      reason: "the Shipcast GitHub App is not installed on jd-ftf/test",
    };
    expect(await deliver(netlifyEvent())).toEqual(skipped);
    // The second event asks GitHub nothing (strict nock would fail on a second lookup).
    now += 30_000;
    expect(await deliver(netlifyEvent({ kind: "deploy.started" }))).toEqual(skipped);
    now += 31_000;
    mockRepositoryReady();
    expectStatus();
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded" });
  });

  it("reports a broken .github/shipcast.yml as an error status naming the problem", async () => {
    mockRepositoryReady("environments: production\n");
    const posted = expectStatus();
    const result = await deliver(netlifyEvent());
    const problem =
      ".github/shipcast.yml: environments: expected a list of environment names or types";
    expect(result).toEqual({ outcome: "failed", error: problem });
    expect(posted).toEqual([
      {
        state: "error",
        context: CONFIG_STATUS_CONTEXT,
        description: problem,
        target_url: "https://github.com/jd-ftf/test/blob/HEAD/.github/shipcast.yml",
      },
    ]);
  });

  it("cuts a long configuration problem to 140 characters", async () => {
    mockRepositoryReady("webhook_url: https://example.com/hook\n");
    const posted = expectStatus();
    const result = await deliver(netlifyEvent());
    expect(result).toMatchObject({
      outcome: "failed",
      error: expect.stringContaining('unknown key "webhook_url"'),
    });
    expect(posted[0]?.context).toBe(CONFIG_STATUS_CONTEXT);
    expect(posted[0]?.description).toHaveLength(140);
    expect(posted[0]?.description.endsWith("…")).toBe(true);
  });

  it("skips when the repository turned statuses off", async () => {
    mockRepositoryReady("statuses: false\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "commit statuses are off in .github/shipcast.yml",
    });
  });

  it("leaves the repository's notify targets to their own delivery when statuses are off", async () => {
    mockRepositoryReady("statuses: false\nnotify: [ops-slack]\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "commit statuses are off in .github/shipcast.yml",
    });
  });

  it("leaves the repository's notify targets to their own delivery when it posts", async () => {
    mockRepositoryReady("notify: [ops-slack]\n");
    expectStatus();
    const result = await deliver(netlifyEvent());
    expect(result).toMatchObject({ outcome: "succeeded" });
    expect(result).not.toHaveProperty("followUps");
  });

  it("skips environments the repository did not list", async () => {
    mockRepositoryReady("environments: [production]\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason:
        "environment deploy-preview (PREVIEW) is not in the environments of .github/shipcast.yml",
    });
  });

  it("posts for a listed environment type", async () => {
    mockRepositoryReady("environments: [preview]\n");
    expectStatus();
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded" });
  });

  it("reads the repository's file once for two events", async () => {
    mockRepositoryReady();
    expectStatus();
    expectStatus();
    await deliver(netlifyEvent({ kind: "deploy.started" }));
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded" });
  });

  it.each([
    [401, "Bad credentials"],
    [403, "Resource not accessible by integration"],
    [404, "Not Found"],
    [422, "No commit found for SHA: 2bf6019eab7035beccc013d641445f9bb1006083"],
  ])("fails permanently on %i with GitHub's message", async (status, message) => {
    // Octokit retries a 401 within 5 s of creating the token (GitHub's replication delay), so
    // the token is made "earlier": the answer is then final, as it is for an older token.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      mockRepositoryReady();
      await clients.forRepository(OWNER, REPO);
      vi.setSystemTime(Date.now() + 10_000);
      expectStatus({ status, body: { message, documentation_url: "https://docs.github.com" } });
      expect(await deliver(netlifyEvent())).toEqual({
        outcome: "failed",
        error: `GitHub answered ${status} while creating the commit status: ${message}`,
        httpStatus: status,
        response: expect.stringContaining(message),
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("retries on 500", async () => {
    mockRepositoryReady();
    expectStatus({ status: 500, body: { message: "Server Error" } });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "retry", httpStatus: 500 });
  });

  it("retries a 403 secondary rate limit after retry-after", async () => {
    mockRepositoryReady();
    expectStatus({
      status: 403,
      headers: { "retry-after": "30" },
      body: { message: "You have exceeded a secondary rate limit." },
    });
    expect(await deliver(netlifyEvent())).toMatchObject({
      outcome: "retry",
      retryAfterMs: 30_000,
      httpStatus: 403,
    });
  });

  it("retries a 429 at x-ratelimit-reset", async () => {
    mockRepositoryReady();
    const reset = Math.ceil(Date.now() / 1000) + 120;
    expectStatus({
      status: 429,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    const result = await deliver(netlifyEvent());
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 429 });
    const wait = "retryAfterMs" in result ? (result.retryAfterMs ?? 0) : 0;
    expect(wait).toBeGreaterThan(110_000);
    expect(wait).toBeLessThanOrEqual(122_000);
  });

  it("retries when reading the repository's file fails on GitHub's side", async () => {
    mockInstallation();
    mockToken();
    github()
      .get(`/repos/${OWNER}/${REPO}/contents/.github%2Fshipcast.yml`)
      .reply(502, { message: "Bad Gateway" });
    expect(await deliver(netlifyEvent())).toMatchObject({
      outcome: "retry",
      error: "GitHub answered 502 while reading .github/shipcast.yml: Bad Gateway",
    });
  });

  it("skips when the installation's token is refused and GitHub says it is gone", async () => {
    mockInstallation();
    github()
      .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
      .reply(404, { message: "Not Found" });
    mockNotInstalled();
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "the Shipcast GitHub App is not installed on jd-ftf/test",
    });
  });

  it("accepts only a context in a target's settings", () => {
    expect(notifier.settings.safeParse({ context: "ci/{environment}" }).success).toBe(true);
    expect(notifier.settings.safeParse({}).success).toBe(true);
    expect(notifier.settings.safeParse({ url: "https://example.com" }).success).toBe(false);
  });

  it("orders statuses per repository, commit and environment", () => {
    expect(notifier.subject?.(netlifyEvent())).toBe(`github|jd-ftf/test|${SHA}|deploy-preview`);
  });
});

describe("statusTargetUrl", () => {
  const urls = { deploy: DEPLOY_URL, logs: "https://logs.example.com/1", admin: ADMIN_URL };

  it("prefers the site on success and the log otherwise", () => {
    expect(statusTargetUrl(netlifyEvent({ urls }))).toBe(DEPLOY_URL);
    expect(statusTargetUrl(netlifyEvent({ kind: "deploy.started", urls }))).toBe(urls.logs);
  });

  it("falls back to whatever http(s) URL there is", () => {
    expect(
      statusTargetUrl(netlifyEvent({ kind: "deploy.failed", urls: { deploy: DEPLOY_URL } })),
    ).toBe(DEPLOY_URL);
    expect(statusTargetUrl(netlifyEvent({ urls: { admin: ADMIN_URL } }))).toBe(ADMIN_URL);
    expect(
      statusTargetUrl(netlifyEvent({ urls: { deploy: "javascript:alert(1)" } })),
    ).toBeUndefined();
  });
});
