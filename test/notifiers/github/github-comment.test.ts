import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import { createGithubClients } from "../../../src/notifiers/github/github-clients.js";
import { githubCommentNotifier } from "../../../src/notifiers/github/github-comment.js";
import { RepositorySettingsCache } from "../../../src/notifiers/github/repository-settings.js";
import { STICKY_MARKER } from "../../../src/notifiers/kit/deploy-table.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import { normalizeGithub } from "../../../src/sources/github-normalize.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { StickyComments } from "../../../src/store/sticky-comments-repository.js";
import { githubExamplesOf } from "../../helpers/payloads.js";
import {
  APP_LOGIN,
  createTestProbot,
  deliveryContext,
  github,
  mockApp,
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

const PR = 6;
const ISSUE = `/repos/${OWNER}/${REPO}/issues/${PR}`;
const COMMENTS = `${ISSUE}/comments`;
const STICKY_KEY = {
  provider: "github" as const,
  repository: "https://github.com/jd-ftf/test",
  number: PR,
};

let dir: string;
let store: Store;
let sticky: StickyComments;
let notifier: ReturnType<typeof githubCommentNotifier>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipcast-github-comment-"));
  store = await openStore({ engine: "sqlite", path: join(dir, "shipcast.db") });
  sticky = new StickyComments(store.db);
  notifier = githubCommentNotifier({
    clients: createGithubClients(createTestProbot()),
    sticky,
    settingsCache: new RepositorySettingsCache(),
  });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function deliver(event: DeployEvent): Promise<AttemptResult> {
  return notifier.deliver({}, deliveryContext(event));
}

/** A second site deployed from the same pull request. */
function docsEvent(overrides: Partial<DeployEvent> = {}): DeployEvent {
  const event = netlifyEvent();
  return {
    ...event,
    project: { ...event.project, name: "docs-site" },
    urls: { deploy: "https://deploy-preview-6--docs-site.netlify.app" },
    occurredAt: "2020-01-09T04:35:00.000Z",
    ...overrides,
  };
}

const failedEvent = () => netlifyEvent({}, "deploy_failed.deploy-preview.json");

/** Mocks a comment request and collects the bodies sent. */
function expectComment(
  method: "post" | "patch",
  path: string,
  reply: { status?: number; id?: number } = {},
): string[] {
  const bodies: string[] = [];
  github()
    [method](path, (body: { body: string }) => {
      bodies.push(body.body);
      return true;
    })
    .matchHeader("authorization", "token test")
    .reply(reply.status ?? (method === "post" ? 201 : 200), {
      ...(reply.status && reply.status >= 400 ? { message: "Not Found" } : {}),
      id: reply.id ?? 1001,
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${PR}#issuecomment-${reply.id ?? 1001}`,
    });
  return bodies;
}

function mockListComments(comments: object[], page?: { next: object[] }): void {
  const next = `${PR}/comments?per_page=100&page=2`;
  github()
    .get(COMMENTS)
    .query({ per_page: "100" })
    .reply(
      200,
      comments,
      page
        ? { link: `<https://api.github.com/repos/${OWNER}/${REPO}/issues/${next}>; rel="next"` }
        : {},
    );
  if (page) {
    github().get(COMMENTS).query({ per_page: "100", page: "2" }).reply(200, page.next);
  }
}

describe("the github-comment notifier", () => {
  useStrictNock();

  it("creates the comment once, then edits it, leaving the other rows alone", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([]);
    const created = expectComment("post", COMMENTS, { id: 1001 });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(created).toHaveLength(1);
    expect(created[0]).toContain(STICKY_MARKER);
    expect(created[0]).toContain("| dazzling-almeida-67ef75 | deploy-preview | ✅ Ready |");
    expect((await sticky.get(STICKY_KEY)).comment_id).toBe("1001");

    // Another site of the same pull request: a second row, in the same comment.
    const edited = expectComment("patch", `/repos/${OWNER}/${REPO}/issues/comments/1001`);
    expect(await deliver(docsEvent())).toMatchObject({ outcome: "succeeded", httpStatus: 200 });
    expect(edited[0]).toContain("| dazzling-almeida-67ef75 | deploy-preview | ✅ Ready |");
    expect(edited[0]).toContain("| docs-site | deploy-preview | ✅ Ready |");

    // The first site fails later: its row changes, the docs row stays.
    const again = expectComment("patch", `/repos/${OWNER}/${REPO}/issues/comments/1001`);
    expect(await deliver(failedEvent())).toMatchObject({ outcome: "succeeded" });
    expect(again[0]).toContain("| dazzling-almeida-67ef75 | deploy-preview | ❌ Failed |");
    expect(again[0]).toContain("| docs-site | deploy-preview | ✅ Ready |");
    expect(again[0]).toContain("Build script returned non-zero exit code: 1");
    const rows = JSON.parse((await sticky.get(STICKY_KEY)).rows) as Array<{ kind: string }>;
    expect(rows.map((row) => row.kind).sort()).toEqual(["deploy.failed", "deploy.succeeded"]);
  });

  it("sends nothing for an event older than the row shown", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([]);
    expectComment("post", COMMENTS);
    await deliver(failedEvent());
    const late = netlifyEvent({ kind: "deploy.started", occurredAt: "2020-01-09T04:30:55.397Z" });
    expect(await deliver(late)).toEqual({ outcome: "succeeded", response: "no change" });
  });

  it("sends nothing for a redelivered event identical to the row shown", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([]);
    expectComment("post", COMMENTS, { id: 1001 });
    await deliver(netlifyEvent());
    // No mock: an edit would be an unmatched request.
    expect(await deliver(netlifyEvent())).toEqual({ outcome: "succeeded", response: "no change" });
  });

  it("retries when the sticky-comment store fails, and says so", async () => {
    const closedDir = mkdtempSync(join(tmpdir(), "shipcast-github-comment-"));
    const closedStore = await openStore({ engine: "sqlite", path: join(closedDir, "shipcast.db") });
    await closedStore.close();
    const broken = githubCommentNotifier({
      clients: createGithubClients(createTestProbot()),
      sticky: new StickyComments(closedStore.db),
      settingsCache: new RepositorySettingsCache(),
    });
    mockRepositoryReady();
    const result = await broken.deliver({}, deliveryContext(netlifyEvent()));
    rmSync(closedDir, { recursive: true, force: true });
    expect(result).toMatchObject({ outcome: "retry" });
    expect(result).toHaveProperty("error", expect.stringContaining("sticky-comment store"));
  });

  it("recreates a comment someone deleted", async () => {
    await sticky.save((await sticky.get(STICKY_KEY)).id, "999", "[]", "[]");
    mockRepositoryReady();
    expectComment("patch", `/repos/${OWNER}/${REPO}/issues/comments/999`, { status: 404 });
    mockApp();
    mockListComments([]);
    const created = expectComment("post", COMMENTS, { id: 1002 });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded", httpStatus: 201 });
    expect(created).toHaveLength(1);
    expect((await sticky.get(STICKY_KEY)).comment_id).toBe("1002");
  });

  it("finds its comment again by marker and author when the id is unknown", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments(
      [
        { id: 1, body: "Looks good!", user: { login: "octocat" } },
        // Someone quoting the marker does not make the comment Shipcast's.
        { id: 2, body: `${STICKY_MARKER}\nfake table`, user: { login: "mallory" } },
      ],
      {
        next: [
          { id: 3, body: "Deploy Preview ready!", user: { login: "netlify[bot]" } },
          { id: 4, body: `${STICKY_MARKER}\n### 🚢 Deploys`, user: { login: APP_LOGIN } },
        ],
      },
    );
    const edited = expectComment("patch", `/repos/${OWNER}/${REPO}/issues/comments/4`, { id: 4 });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded", httpStatus: 200 });
    expect(edited).toHaveLength(1);
    expect((await sticky.get(STICKY_KEY)).comment_id).toBe("4");
  });

  it("does not take another user's comment carrying the marker", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([{ id: 2, body: `${STICKY_MARKER}\nfake`, user: { login: "mallory" } }]);
    const created = expectComment("post", COMMENTS, { id: 1003 });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded" });
    expect(created).toHaveLength(1);
  });

  it("finds the pull request the commit heads when the event names none", async () => {
    const { change: _change, ...event } = netlifyEvent();
    mockRepositoryReady();
    github()
      .get(`/repos/${OWNER}/${REPO}/commits/${SHA}/pulls`)
      .query({ per_page: "100" })
      .reply(200, [
        { number: 3, state: "closed", head: { sha: SHA } },
        { number: 9, state: "open", head: { sha: "0".repeat(40) } },
        { number: PR, state: "open", head: { sha: SHA } },
      ]);
    mockApp();
    mockListComments([]);
    const created = expectComment("post", COMMENTS);
    expect(await deliver(event)).toMatchObject({ outcome: "succeeded" });
    expect(created).toHaveLength(1);
    expect(notifier.subject?.(event)).toBe(`github|jd-ftf/test|sha:${SHA}`);
  });

  it("skips a commit that heads no open pull request", async () => {
    const { change: _change, ...event } = netlifyEvent();
    mockRepositoryReady();
    github()
      .get(`/repos/${OWNER}/${REPO}/commits/${SHA}/pulls`)
      .query({ per_page: "100" })
      .reply(200, [{ number: 3, state: "closed", head: { sha: SHA } }]);
    expect(await deliver(event)).toEqual({
      outcome: "skipped",
      reason: "the commit heads no open pull request",
    });
  });

  it("skips a closed pull request", async () => {
    await sticky.get(STICKY_KEY);
    await sticky.close(STICKY_KEY);
    mockRepositoryReady();
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "the pull request is closed",
    });
  });

  it("posts exactly one comment for two events delivered at the same moment", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([]);
    const created = expectComment("post", COMMENTS, { id: 1004 });
    const results = await Promise.all([deliver(netlifyEvent()), deliver(docsEvent())]);
    expect(created).toHaveLength(1);
    const outcomes = results.map((result) => result.outcome).sort();
    expect(outcomes).toEqual(["retry", "succeeded"]);
    const loser = results.findIndex((result) => result.outcome === "retry");
    expect(results[loser]).toEqual({
      outcome: "retry",
      error: "another delivery is creating the comment on #6",
      retryAfterMs: 500,
    });

    // The loser's retry edits the comment the winner created, adding its row.
    const edited = expectComment("patch", `/repos/${OWNER}/${REPO}/issues/comments/1004`, {
      id: 1004,
    });
    expect(await deliver(loser === 0 ? netlifyEvent() : docsEvent())).toMatchObject({
      outcome: "succeeded",
    });
    expect(edited[0]).toContain("dazzling-almeida-67ef75");
    expect(edited[0]).toContain("docs-site");
  });

  it("releases its claim when creating fails, so the next attempt can create", async () => {
    mockRepositoryReady();
    mockApp();
    mockListComments([]);
    github().post(COMMENTS).reply(403, { message: "Resource not accessible by integration" });
    expect(await deliver(netlifyEvent())).toMatchObject({
      outcome: "failed",
      error:
        "GitHub answered 403 while creating the comment on #6: Resource not accessible by integration",
      httpStatus: 403,
    });
    mockListComments([]);
    const created = expectComment("post", COMMENTS);
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "succeeded" });
    expect(created).toHaveLength(1);
  });

  it("retries when GitHub fails on its side", async () => {
    mockRepositoryReady();
    mockApp();
    github().get(COMMENTS).query({ per_page: "100" }).reply(502, { message: "Bad Gateway" });
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "retry", httpStatus: 502 });
  });

  it("fails on an edit GitHub refuses", async () => {
    await sticky.save((await sticky.get(STICKY_KEY)).id, "999", "[]", "[]");
    mockRepositoryReady();
    github()
      .patch(`/repos/${OWNER}/${REPO}/issues/comments/999`)
      .reply(422, { message: "Validation Failed", errors: [{ message: "body is too long" }] });
    expect(await deliver(netlifyEvent())).toMatchObject({
      outcome: "failed",
      error:
        "GitHub answered 422 while editing comment 999 on #6: Validation Failed (body is too long)",
    });
    expect((await sticky.get(STICKY_KEY)).comment_id).toBe("999");
  });

  it("skips when the repository turned comments off", async () => {
    mockRepositoryReady("comments: false\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "pull request comments are off in .github/shipcast.yml",
    });
  });

  it("skips environments the repository did not list", async () => {
    mockRepositoryReady("environments: [PRODUCTION]\n");
    expect(await deliver(netlifyEvent())).toMatchObject({ outcome: "skipped" });
  });

  it("skips quietly on a broken .github/shipcast.yml (the status notifier reports it)", async () => {
    mockRepositoryReady("comments: sometimes\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: ".github/shipcast.yml: comments: expected true or false",
    });
  });

  it("skips a repository the app is not installed on", async () => {
    mockNotInstalled();
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "the Shipcast GitHub App is not installed on jd-ftf/test",
    });
  });

  it("skips events without a commit and form submissions", async () => {
    const { commit: _commit, ...noCommit } = netlifyEvent();
    expect(await deliver(noCommit)).toEqual({
      outcome: "skipped",
      reason: "the event names no commit",
    });
    expect(await deliver(netlifyEvent({ kind: "form.submitted" }))).toEqual({
      outcome: "skipped",
      reason: "no pull request comment for form.submitted",
    });
  });

  it("takes no settings and orders comments per pull request", () => {
    expect(notifier.settings.safeParse({}).success).toBe(true);
    expect(notifier.settings.safeParse({ token: "x" }).success).toBe(false);
    expect(notifier.subject?.(netlifyEvent())).toBe("github|jd-ftf/test|#6");
  });
});

describe("the github-comment notifier on a closed pull request", () => {
  useStrictNock();

  /** GitHub's own `pull_request` `closed` example (Codertocat/Hello-World #2), normalized. */
  const closedEvent = (): DeployEvent => {
    const payload = githubExamplesOf("pull_request").find((p) => p.action === "closed");
    const result = normalizeGithub({ headers: { "x-github-event": "pull_request" }, payload });
    if (isIgnored(result)) throw new Error(result.reason);
    return result;
  };
  const HELLO = { owner: "Codertocat", repo: "Hello-World" };
  const HELLO_KEY = {
    provider: "github" as const,
    repository: "https://github.com/Codertocat/Hello-World",
    number: 2,
  };
  const EDIT = "/repos/Codertocat/Hello-World/issues/comments/4242";
  const rows = [
    {
      key: "web|deploy-preview",
      project: "web",
      environment: "deploy-preview",
      kind: "deploy.succeeded",
      occurredAt: "2026-01-01T00:00:00.000Z",
    },
  ];

  async function commented(): Promise<void> {
    const row = await sticky.get(HELLO_KEY);
    await sticky.save(row.id, "4242", JSON.stringify(rows), row.rows);
  }

  function mockHelloReady(): void {
    mockInstallation(HELLO.owner, HELLO.repo);
    mockToken();
  }

  it("accepts change.closed, which the status output does not", () => {
    expect(notifier.accepts?.(closedEvent())).toBe(true);
    expect(notifier.subject?.(closedEvent())).toBe("github|Codertocat/Hello-World|#2");
  });

  it("marks the comment closed and edits it once to say so, keeping its rows", async () => {
    await commented();
    mockHelloReady();
    const edited = expectComment("patch", EDIT, { id: 4242 });
    expect(await deliver(closedEvent())).toMatchObject({ outcome: "succeeded", httpStatus: 200 });
    expect(edited).toHaveLength(1);
    expect(edited[0]).toContain("| web | deploy-preview | ✅ Ready |");
    expect(edited[0]).toContain(
      "_This pull request is closed: this comment is no longer updated._",
    );
    const state = await sticky.get(HELLO_KEY);
    expect(state.closed).toBe(1);
    expect(state.comment_id).toBe("4242");
    expect(JSON.parse(state.rows)).toEqual(rows);
  });

  it("asks GitHub nothing for a pull request Shipcast never commented on", async () => {
    expect(await deliver(closedEvent())).toEqual({
      outcome: "skipped",
      reason: "Shipcast never commented there",
    });
  });

  it("retries an edit GitHub fails on its side, and the retry closes the comment", async () => {
    await commented();
    mockHelloReady();
    github().patch(EDIT).reply(502, { message: "Bad Gateway" });
    expect(await deliver(closedEvent())).toMatchObject({
      outcome: "retry",
      httpStatus: 502,
      error: "GitHub answered 502 while marking comment 4242 on #2 closed: Bad Gateway",
    });
    const edited = expectComment("patch", EDIT, { id: 4242 });
    expect(await deliver(closedEvent())).toMatchObject({ outcome: "succeeded" });
    expect(edited[0]).toContain("pull request is closed");
  });

  it("forgets a comment someone deleted instead of posting a new one", async () => {
    await commented();
    mockHelloReady();
    github().patch(EDIT).reply(404, { message: "Not Found" });
    expect(await deliver(closedEvent())).toEqual({
      outcome: "skipped",
      reason: "the comment on #2 was deleted",
    });
    expect((await sticky.get(HELLO_KEY)).comment_id).toBeNull();
  });

  it("skips a repository the app is no longer installed on", async () => {
    await commented();
    mockNotInstalled(HELLO.owner, HELLO.repo);
    expect(await deliver(closedEvent())).toEqual({
      outcome: "skipped",
      reason: "the Shipcast GitHub App is not installed on Codertocat/Hello-World",
    });
  });
});
