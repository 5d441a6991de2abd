import { GitbeakerRequestError, GitbeakerTimeoutError } from "@gitbeaker/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  createGitlabClient,
  withAttemptSignal,
} from "../../../src/notifiers/gitlab/gitlab-client.js";
import { useStrictNock } from "../../helpers/strict-nock.js";

const GITLAB_URL = "https://gitlab.example.com";
const TOKEN = "glpat-SecretToken0123456789";
const SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468";

useStrictNock();

const gitlab = createGitlabClient({ url: GITLAB_URL, token: TOKEN });

function api() {
  return nock(GITLAB_URL).matchHeader("private-token", TOKEN);
}

describe("createGitlabClient", () => {
  it("sends the token in PRIVATE-TOKEN to the instance's /api/v4, with snake_case bodies", async () => {
    let body: unknown;
    api()
      .post(`/api/v4/projects/30/statuses/${SHA}`, (b) => {
        body = b;
        return true;
      })
      .reply(201, { id: 1, status: "success" });
    const status = await gitlab.Commits.editStatus(30, SHA, "success", {
      name: "shipcast/deploy: staging",
      targetUrl: "https://staging.example.com",
    });
    expect(status).toMatchObject({ id: 1, status: "success" });
    expect(body).toEqual({
      state: "success",
      name: "shipcast/deploy: staging",
      target_url: "https://staging.example.com",
    });
  });

  it("accepts the URL with a trailing slash and encodes project paths", async () => {
    const client = createGitlabClient({ url: `${GITLAB_URL}/`, token: TOKEN });
    api()
      .get("/api/v4/projects/root%2Ftest-deployment-webhooks/merge_requests/1/notes")
      .reply(200, []);
    await expect(client.MergeRequestNotes.all("root/test-deployment-webhooks", 1)).resolves.toEqual(
      [],
    );
  });

  it("follows GitLab's pagination links", async () => {
    const notes = "/api/v4/projects/30/merge_requests/1/notes";
    api()
      .get(notes)
      .query({ per_page: "1" })
      .reply(200, [{ id: 1 }], {
        link: `<${GITLAB_URL}${notes}?page=2&per_page=1>; rel="next"`,
      });
    api()
      .get(notes)
      .query({ page: "2", per_page: "1" })
      .reply(200, [{ id: 2 }]);
    const all = await gitlab.MergeRequestNotes.all(30, 1, { perPage: 1 });
    expect(all.map((note) => note.id)).toEqual([1, 2]);
  });

  it("sends a rate-limited request once and keeps the answer in the error", async () => {
    api().get("/api/v4/user").reply(429, { message: "Retry later" }, { "retry-after": "30" });
    const error = await gitlab.Users.showCurrentUser().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitbeakerRequestError);
    const cause = (error as GitbeakerRequestError).cause;
    expect(cause?.description).toBe("Retry later");
    expect(cause?.response.status).toBe(429);
    expect(cause?.response.headers.get("retry-after")).toBe("30");
  });

  it("does not retry a 502 either", async () => {
    api().get("/api/v4/user").reply(502, "Bad Gateway", { "content-type": "text/html" });
    const error = await gitlab.Users.showCurrentUser().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitbeakerRequestError);
    expect((error as GitbeakerRequestError).cause?.response.status).toBe(502);
    expect((error as GitbeakerRequestError).cause?.description).toBe("Bad Gateway");
  });

  it("describes GitLab's structured messages as JSON", async () => {
    api()
      .post("/api/v4/projects/30/merge_requests/1/notes")
      .reply(400, { message: { body: ["is too long (maximum is 1000000 characters)"] } });
    const error = await gitlab.MergeRequestNotes.create(30, 1, "x").catch((e: unknown) => e);
    expect((error as GitbeakerRequestError).cause?.description).toBe(
      '{"body":["is too long (maximum is 1000000 characters)"]}',
    );
  });

  it("ends a request when the attempt's signal aborts", async () => {
    api().get("/api/v4/user").delay(2000).reply(200, { id: 7 });
    const started = Date.now();
    const error = await withAttemptSignal(AbortSignal.timeout(50), () =>
      gitlab.Users.showCurrentUser(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitbeakerTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("ends a request at its own timeout", async () => {
    const client = createGitlabClient({ url: GITLAB_URL, token: TOKEN, timeoutMs: 50 });
    api().get("/api/v4/user").delay(2000).reply(200, { id: 7 });
    await expect(client.Users.showCurrentUser()).rejects.toBeInstanceOf(GitbeakerTimeoutError);
  });
});
