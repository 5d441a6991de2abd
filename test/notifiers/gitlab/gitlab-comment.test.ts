import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import { createGitlabClient } from "../../../src/notifiers/gitlab/gitlab-client.js";
import { gitlabCommentNotifier } from "../../../src/notifiers/gitlab/gitlab-comment.js";
import { STICKY_MARKER } from "../../../src/notifiers/kit/deploy-table.js";
import type { AttemptResult, Notifier } from "../../../src/notifiers/kit/notifier.js";
import { normalizeGitlab } from "../../../src/sources/gitlab-normalize.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { StickyComments, type StickyKey } from "../../../src/store/sticky-comments-repository.js";
import { useStrictNock } from "../../helpers/strict-nock.js";

const GITLAB_URL = "https://gitlab.example.com";
const TOKEN = "glpat-SecretToken0123456789";
const NORMALIZE_OPTIONS = {
  githubHosts: ["github.com"],
  gitlabHosts: ["gitlab.com", "10.126.0.2:3000"],
};
/** The token's user, as `GET /user` tells it. */
const BOT_ID = 7;
/** The pipeline fixture: project 1, merge request !1. */
const NOTES = "/api/v4/projects/1/merge_requests/1/notes";
const MR_KEY: StickyKey = {
  provider: "gitlab",
  repository: "http://192.168.64.1:3005/gitlab-org/gitlab-test",
  number: 1,
};
/** The deployment fixture: project 30, no merge request in the payload. */
const DEPLOY_SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468";
const COMMIT_MRS = `/api/v4/projects/30/repository/commits/${DEPLOY_SHA}/merge_requests`;

useStrictNock();

let dir: string;
let store: Store;
let sticky: StickyComments;
let notifier: Notifier<Record<string, never>>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipcast-gitlab-comment-"));
  store = await openStore({ engine: "sqlite", path: join(dir, "shipcast.db") });
  sticky = new StickyComments(store.db);
  notifier = gitlabCommentNotifier({
    gitlab: createGitlabClient({ url: GITLAB_URL, token: TOKEN }),
    sticky,
  });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/gitlab/${name}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
}

function normalized(hook: string, payload: Record<string, unknown>): DeployEvent {
  const result = normalizeGitlab(
    { headers: { "x-gitlab-event": hook }, payload },
    NORMALIZE_OPTIONS,
  );
  if (isIgnored(result)) throw new Error(result.reason);
  return result;
}

/**
 * The real Pipeline Hook fixture (merge request !1, environment `production`, success), with
 * its deploy job's environment, the pipeline status and the finish time changed as asked.
 */
function pipelineEvent(
  changes: { environment?: string; status?: string; finishedAt?: string } = {},
): DeployEvent {
  const payload = fixture("pipeline.json") as {
    object_attributes: Record<string, unknown>;
    builds: { environment?: { name: string }; status?: string }[];
  };
  // As captured, the manual deploy job was skipped (no deploy happened): run it.
  if (payload.builds[0]) payload.builds[0].status = "success";
  if (changes.status) payload.object_attributes.status = changes.status;
  if (changes.finishedAt) payload.object_attributes.finished_at = changes.finishedAt;
  const deploy = payload.builds[0]?.environment;
  if (changes.environment && deploy) deploy.name = changes.environment;
  return normalized("Pipeline Hook", payload);
}

/** The real Deployment Hook fixture: project 30, staging, no merge request. */
function deploymentEvent(): DeployEvent {
  return normalized("Deployment Hook", fixture("deployment.json"));
}

function deliver(event: DeployEvent): Promise<AttemptResult> {
  return notifier.deliver(
    {},
    { deliveryId: "del-1", eventId: "evt-1", event, attempt: 1, signal: AbortSignal.timeout(5000) },
  );
}

function api() {
  return nock(GITLAB_URL).matchHeader("private-token", TOKEN);
}

function mockCurrentUser(): void {
  api().get("/api/v4/user").reply(200, { id: BOT_ID, username: "shipcast-bot" });
}

function note(id: number, body: string, authorId = BOT_ID, system = false) {
  return { id, body, system, author: { id: authorId, username: `user${authorId}` } };
}

function mockNoteList(notes: ReturnType<typeof note>[], path = NOTES): void {
  api().get(path).query({ sort: "asc", order_by: "created_at", per_page: "100" }).reply(200, notes);
}

/** A captured request body, readable once the request was made. */
interface Captured {
  body(): string;
}

function capture(): [Captured, (body: { body?: unknown }) => boolean] {
  let seen: string | undefined;
  return [
    {
      body() {
        if (seen === undefined) throw new Error("the request was not made");
        return seen;
      },
    },
    (body) => {
      seen = String(body.body);
      return true;
    },
  ];
}

function mockCreate(id: number, path = NOTES): Captured {
  const [captured, match] = capture();
  api()
    .post(path, match)
    .reply(201, (_uri, body) => note(id, String((body as { body: string }).body)));
  return captured;
}

function mockEdit(id: number, path = NOTES): Captured {
  const [captured, match] = capture();
  api()
    .put(`${path}/${id}`, match)
    .reply(200, (_uri, body) => note(id, String((body as { body: string }).body)));
  return captured;
}

function rowLine(body: string, environment: string): string | undefined {
  return body.split("\n").find((line) => line.startsWith(`| Gitlab Test | ${environment} |`));
}

/** Every deploy row of a note's table, in the order shown. */
function rowLines(body: string): string[] {
  return body.split("\n").filter((line) => line.startsWith("| Gitlab Test |"));
}

const PIPELINE_LOGS = "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31";
const PIPELINE_COMMIT =
  "http://example.com/gitlab-org/gitlab-test/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2";

/** The table row the pipeline fixture renders for `environment` in `state`. */
function expectedRow(
  environment: string,
  state = "✅ Ready",
  updated = "2016-08-12 15:26",
): string {
  return `| Gitlab Test | ${environment} | ${state} | — | [Logs](${PIPELINE_LOGS}) | [\`bcbb5ec\`](${PIPELINE_COMMIT}) | ${updated} |`;
}

describe("gitlab-comment: one note per merge request", () => {
  it("creates the note once, then edits it in place and leaves other rows alone", async () => {
    mockNoteList([]);
    mockCurrentUser();
    const created = mockCreate(901);
    expect(await deliver(pipelineEvent())).toEqual({ outcome: "succeeded" });
    expect(created.body()).toContain(STICKY_MARKER);
    expect(rowLines(created.body())).toEqual([expectedRow("production")]);
    expect((await sticky.get(MR_KEY)).comment_id).toBe("901");

    const second = mockEdit(901);
    expect(
      await deliver(
        pipelineEvent({
          environment: "staging",
          status: "running",
          finishedAt: "2016-08-12 15:30:00 UTC",
        }),
      ),
    ).toEqual({ outcome: "succeeded" });
    expect(rowLines(second.body())).toEqual([
      expectedRow("production"),
      expectedRow("staging", "⏳ Building", "2016-08-12 15:30"),
    ]);

    const third = mockEdit(901);
    await deliver(pipelineEvent({ status: "failed", finishedAt: "2016-08-12 15:40:00 UTC" }));
    expect(rowLine(third.body(), "production")).toBe(
      expectedRow("production", "❌ Failed", "2016-08-12 15:40"),
    );
    expect(rowLine(third.body(), "staging")).toBe(rowLine(second.body(), "staging"));

    const state = await sticky.get(MR_KEY);
    expect(state.comment_id).toBe("901");
    expect(JSON.parse(state.rows)).toHaveLength(2);
  });

  it("sends nothing when the row does not change", async () => {
    mockNoteList([]);
    mockCurrentUser();
    mockCreate(901);
    await deliver(pipelineEvent({ finishedAt: "2016-08-12 15:40:00 UTC" }));

    expect(await deliver(pipelineEvent({ finishedAt: "2016-08-12 15:40:00 UTC" }))).toEqual({
      outcome: "succeeded",
      response: "no change",
    });
    // An older state never replaces a newer one.
    expect(await deliver(pipelineEvent({ status: "running" }))).toEqual({
      outcome: "succeeded",
      response: "no change",
    });
  });

  it("recreates a note someone deleted", async () => {
    mockNoteList([]);
    mockCurrentUser();
    mockCreate(901);
    await deliver(pipelineEvent());

    api().put(`${NOTES}/901`).reply(404, { message: "404 Not found" });
    // The token's user is known by now: no second GET /user.
    mockNoteList([]);
    const recreated = mockCreate(902);
    expect(await deliver(pipelineEvent({ environment: "staging" }))).toEqual({
      outcome: "succeeded",
    });
    expect(rowLines(recreated.body())).toEqual([expectedRow("production"), expectedRow("staging")]);
    expect((await sticky.get(MR_KEY)).comment_id).toBe("902");
  });

  it("finds its own note again by marker and author when the id is unknown", async () => {
    mockNoteList([
      note(500, `${STICKY_MARKER}\nquoted by someone else`, 99),
      note(501, `changed the description ${STICKY_MARKER}`, BOT_ID, true),
      note(502, `${STICKY_MARKER}\n### 🚢 Deploys (an old table)`),
      note(503, "LGTM", BOT_ID),
    ]);
    mockCurrentUser();
    const edited = mockEdit(502);
    expect(await deliver(pipelineEvent())).toEqual({ outcome: "succeeded" });
    // The old table is replaced, not appended to.
    expect(edited.body()).not.toContain("an old table");
    expect(rowLines(edited.body())).toEqual([expectedRow("production")]);
    expect((await sticky.get(MR_KEY)).comment_id).toBe("502");
  });

  it("never takes over a note by another author, even with the marker", async () => {
    mockNoteList([note(500, `${STICKY_MARKER}\nby a human`, 99)]);
    mockCurrentUser();
    const created = mockCreate(904);
    expect(await deliver(pipelineEvent())).toEqual({ outcome: "succeeded" });
    expect(created.body()).toContain(STICKY_MARKER);
    expect((await sticky.get(MR_KEY)).comment_id).toBe("904");
  });

  it("creates exactly one note for two events delivered at once", async () => {
    mockNoteList([]);
    mockCurrentUser();
    const created = mockCreate(901);
    const results = await Promise.all([
      deliver(pipelineEvent()),
      deliver(pipelineEvent({ environment: "staging" })),
    ]);
    expect(results).toContainEqual({ outcome: "succeeded" });
    expect(results).toContainEqual({
      outcome: "retry",
      error: "another delivery is creating the note on !1",
      retryAfterMs: 500,
    });
    const firstBody = created.body();

    // The retried delivery finds the note and adds its row to it.
    const edited = mockEdit(901);
    const loser =
      results[0]?.outcome === "retry" ? pipelineEvent() : pipelineEvent({ environment: "staging" });
    expect(await deliver(loser)).toEqual({ outcome: "succeeded" });
    // The winner's note has its own row only; the loser's retry adds the other.
    expect(rowLines(firstBody)).toEqual([
      expectedRow(results[0]?.outcome === "retry" ? "staging" : "production"),
    ]);
    expect(rowLines(edited.body())).toEqual([expectedRow("production"), expectedRow("staging")]);
  });
});

describe("gitlab-comment: finding the merge request", () => {
  it("looks the merge request up through the commit when the event names none", async () => {
    const mr = (iid: number, state: string, sha: string, projectId = 30) => ({
      id: 1000 + iid,
      iid,
      project_id: projectId,
      state,
      sha,
      web_url: `http://10.126.0.2:3000/root/test-deployment-webhooks/-/merge_requests/${iid}`,
    });
    api()
      .get(COMMIT_MRS)
      .reply(200, [
        mr(3, "merged", DEPLOY_SHA),
        mr(4, "opened", "0000000000000000000000000000000000000000"),
        mr(9, "opened", DEPLOY_SHA, 31),
        mr(5, "opened", DEPLOY_SHA),
      ]);
    const notes = "/api/v4/projects/30/merge_requests/5/notes";
    mockNoteList([], notes);
    mockCurrentUser();
    const created = mockCreate(77, notes);
    expect(await deliver(deploymentEvent())).toEqual({ outcome: "succeeded" });
    expect(created.body()).toContain("| test-deployment-webhooks | staging | ✅ Ready |");
    const state = await sticky.get({
      provider: "gitlab",
      repository: "http://10.126.0.2:3000/root/test-deployment-webhooks",
      number: 5,
    });
    expect(state.comment_id).toBe("77");
  });

  it("tells its project's merge requests by URL when the project id is unknown", async () => {
    const event = deploymentEvent();
    const repository = { ...event.project.repository, id: undefined } as NonNullable<
      DeployEvent["project"]["repository"]
    >;
    const byPath = "/api/v4/projects/root%2Ftest-deployment-webhooks";
    api()
      .get(`${byPath}/repository/commits/${DEPLOY_SHA}/merge_requests`)
      .reply(200, [
        {
          id: 1,
          iid: 2,
          project_id: 31,
          state: "opened",
          sha: DEPLOY_SHA,
          web_url: "http://10.126.0.2:3000/fork/test-deployment-webhooks/-/merge_requests/2",
        },
        {
          id: 2,
          iid: 6,
          project_id: 30,
          state: "opened",
          sha: DEPLOY_SHA,
          web_url: "http://10.126.0.2:3000/root/test-deployment-webhooks/-/merge_requests/6",
        },
      ]);
    mockNoteList([], `${byPath}/merge_requests/6/notes`);
    mockCurrentUser();
    mockCreate(78, `${byPath}/merge_requests/6/notes`);
    expect(await deliver({ ...event, project: { ...event.project, repository } })).toEqual({
      outcome: "succeeded",
    });
  });

  it("skips a commit that heads no open merge request", async () => {
    api()
      .get(COMMIT_MRS)
      .reply(200, [{ id: 1, iid: 3, project_id: 30, state: "merged", sha: DEPLOY_SHA }]);
    expect(await deliver(deploymentEvent())).toEqual({
      outcome: "skipped",
      reason: "the commit heads no open merge request",
    });
  });

  it("skips a closed merge request", async () => {
    await sticky.get(MR_KEY);
    await sticky.close(MR_KEY);
    expect(await deliver(pipelineEvent())).toEqual({
      outcome: "skipped",
      reason: "the merge request is closed",
    });
  });

  it("skips events without a GitLab repository or a commit", async () => {
    const event = pipelineEvent();
    expect(await deliver({ ...event, project: { name: "site" } })).toMatchObject({
      outcome: "skipped",
      reason: "the event names no GitLab repository",
    });
    expect(await deliver({ ...event, commit: undefined })).toEqual({
      outcome: "skipped",
      reason: "the event names no commit",
    });
  });
  it("skips repositories on another instance when told the instance's origins", async () => {
    const guarded = gitlabCommentNotifier({
      gitlab: createGitlabClient({ url: GITLAB_URL, token: TOKEN }),
      sticky,
      origins: [GITLAB_URL],
    });
    const result = await guarded.deliver(
      {},
      {
        deliveryId: "del-1",
        eventId: "evt-1",
        event: pipelineEvent(),
        attempt: 1,
        signal: AbortSignal.timeout(5000),
      },
    );
    expect(result).toEqual({
      outcome: "skipped",
      reason: "the repository is on http://192.168.64.1:3005, not on the configured GitLab",
    });
  });
});

describe("gitlab-comment: failures", () => {
  it("fails on a refused create with GitLab's message and releases the claim", async () => {
    mockNoteList([]);
    mockCurrentUser();
    api().post(NOTES).reply(403, { message: "403 Forbidden" });
    const result = await deliver(pipelineEvent());
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 403 });
    expect(result).toHaveProperty("error", expect.stringContaining("403 Forbidden"));
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    const state = await sticky.get(MR_KEY);
    expect(state.comment_id).toBeNull();
    expect(state.creating_until).toBeNull();
  });

  it("retries a 500 while looking for the note, and a 429 after its Retry-After", async () => {
    mockCurrentUser();
    api().get(NOTES).query(true).reply(500, { message: "500 Internal Server Error" });
    expect(await deliver(pipelineEvent())).toMatchObject({ outcome: "retry", httpStatus: 500 });
    expect((await sticky.get(MR_KEY)).creating_until).toBeNull();

    mockNoteList([]);
    api().post(NOTES).reply(429, { message: "Retry later" }, { "retry-after": "20" });
    expect(await deliver(pipelineEvent())).toMatchObject({
      outcome: "retry",
      httpStatus: 429,
      retryAfterMs: 20_000,
    });
    expect((await sticky.get(MR_KEY)).creating_until).toBeNull();
  });

  it("keeps the note id when an edit fails for another reason than a deleted note", async () => {
    mockNoteList([]);
    mockCurrentUser();
    mockCreate(901);
    await deliver(pipelineEvent());

    api().put(`${NOTES}/901`).reply(422, { message: "Note is locked" });
    const result = await deliver(pipelineEvent({ environment: "staging" }));
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 422 });
    expect((await sticky.get(MR_KEY)).comment_id).toBe("901");
  });

  it("retries when the store fails, and says so", async () => {
    const closedDir = mkdtempSync(join(tmpdir(), "shipcast-gitlab-comment-"));
    const closedStore = await openStore({ engine: "sqlite", path: join(closedDir, "shipcast.db") });
    await closedStore.close();
    const broken = gitlabCommentNotifier({
      gitlab: createGitlabClient({ url: GITLAB_URL, token: TOKEN }),
      sticky: new StickyComments(closedStore.db),
    });
    const result = await broken.deliver(
      {},
      {
        deliveryId: "del-1",
        eventId: "evt-1",
        event: pipelineEvent(),
        attempt: 1,
        signal: AbortSignal.timeout(5000),
      },
    );
    rmSync(closedDir, { recursive: true, force: true });
    expect(result).toMatchObject({ outcome: "retry" });
    expect(result).toHaveProperty("error", expect.stringContaining("sticky-comment store"));
  });
});

/**
 * The real Merge Request Hook fixture, closed (or merged), moved onto the pipeline fixture's
 * project (project 1 at http://192.168.64.1:3005, merge request !1) so that it closes the note
 * the pipeline events wrote.
 */
function closedEvent(action: "close" | "merge" = "close"): DeployEvent {
  const payload = fixture("merge_request.json") as {
    project: Record<string, unknown>;
    object_attributes: Record<string, unknown>;
  };
  payload.project = fixture("pipeline.json").project as Record<string, unknown>;
  payload.object_attributes.action = action;
  payload.object_attributes.state = action === "close" ? "closed" : "merged";
  return normalized("Merge Request Hook", payload);
}

describe("gitlab-comment: a merge request closed or merged", () => {
  it.each(["close", "merge"] as const)(
    "marks the note closed after %s and edits it once to say so",
    async (action) => {
      mockNoteList([]);
      mockCurrentUser();
      mockCreate(901);
      await deliver(pipelineEvent());

      const closing = mockEdit(901);
      expect(await deliver(closedEvent(action))).toEqual({ outcome: "succeeded" });
      expect(rowLines(closing.body())).toEqual([expectedRow("production")]);
      expect(closing.body()).toContain(
        "_This merge request is closed: this comment is no longer updated._",
      );
      const state = await sticky.get(MR_KEY);
      expect(state.closed).toBe(1);
      expect(state.comment_id).toBe("901");

      // A deploy that finishes later leaves the closed note alone.
      expect(await deliver(pipelineEvent({ environment: "staging" }))).toEqual({
        outcome: "skipped",
        reason: "the merge request is closed",
      });
    },
  );

  it("asks GitLab nothing for a merge request Shipcast never commented on", async () => {
    expect(await deliver(closedEvent())).toEqual({
      outcome: "skipped",
      reason: "Shipcast never commented there",
    });
  });

  it("retries when GitLab fails on its side, and the retry closes the note", async () => {
    mockNoteList([]);
    mockCurrentUser();
    mockCreate(901);
    await deliver(pipelineEvent());

    api().put(`${NOTES}/901`).reply(503, { message: "503 Service Unavailable" });
    expect(await deliver(closedEvent())).toMatchObject({
      outcome: "retry",
      httpStatus: 503,
      error: "marking note 901 on !1 closed: GitLab answered 503: 503 Service Unavailable",
    });
    const closing = mockEdit(901);
    expect(await deliver(closedEvent())).toEqual({ outcome: "succeeded" });
    expect(closing.body()).toContain("merge request is closed");
  });

  it("forgets a note someone deleted instead of posting a new one", async () => {
    mockNoteList([]);
    mockCurrentUser();
    mockCreate(901);
    await deliver(pipelineEvent());

    api().put(`${NOTES}/901`).reply(404, { message: "404 Not found" });
    expect(await deliver(closedEvent())).toEqual({
      outcome: "skipped",
      reason: "the note on !1 was deleted",
    });
    expect((await sticky.get(MR_KEY)).comment_id).toBeNull();
  });

  it("accepts change.closed for a GitLab merge request, ordered with its deploys", () => {
    expect(notifier.accepts?.(closedEvent())).toBe(true);
    expect(notifier.subject?.(closedEvent())).toBe(notifier.subject?.(pipelineEvent()));
  });
});

describe("gitlab-comment: subject and settings", () => {
  it("names the merge request when known, else the commit", () => {
    expect(notifier.subject?.(pipelineEvent())).toBe("gitlab|gitlab-org/gitlab-test|!1");
    expect(notifier.subject?.(deploymentEvent())).toBe(
      `gitlab|root/test-deployment-webhooks|sha:${DEPLOY_SHA}`,
    );
  });

  it("takes no settings", () => {
    expect(notifier.settings.safeParse({}).success).toBe(true);
    expect(notifier.settings.safeParse({ name: "x" }).success).toBe(false);
  });
});
