import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  githubErrorResult,
  isStaleInstallationError,
} from "../../../src/notifiers/github/github-errors.js";
import { github, TestOctokit, useStrictNock } from "./github-test-kit.js";

const TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const octokit = new TestOctokit({ auth: { token: TOKEN } });

/** What Octokit throws for the given answer to a status POST. */
async function errorFor(
  status: number,
  body: string | Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<unknown> {
  github().post("/repos/o/r/statuses/abc").reply(status, body, headers);
  try {
    await octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
      owner: "o",
      repo: "r",
      sha: "abc",
      state: "success",
    });
  } catch (error) {
    return error;
  }
  throw new Error("the request did not fail");
}

const ACTION = "creating the commit status";

describe("githubErrorResult", () => {
  useStrictNock();

  it.each([
    [401, "Bad credentials"],
    [403, "Resource not accessible by integration"],
    [404, "Not Found"],
  ])("%i is a permanent failure with GitHub's message", async (status, message) => {
    const error = await errorFor(status, {
      message,
      documentation_url: "https://docs.github.com/rest",
    });
    const result = githubErrorResult(error, ACTION);
    expect(result).toMatchObject({
      outcome: "failed",
      error: `GitHub answered ${status} while ${ACTION}: ${message}`,
      httpStatus: status,
    });
  });

  it("422 says which field was wrong", async () => {
    const error = await errorFor(422, {
      message: "Validation Failed",
      errors: [
        {
          resource: "Status",
          code: "custom",
          field: "description",
          message: "description is too long (maximum is 140 characters)",
        },
      ],
      documentation_url: "https://docs.github.com/rest/commits/statuses",
    });
    expect(githubErrorResult(error, ACTION)).toMatchObject({
      outcome: "failed",
      error: `GitHub answered 422 while ${ACTION}: Validation Failed (description is too long (maximum is 140 characters))`,
      httpStatus: 422,
    });
  });

  it.each([500, 502, 503])("%i is retried", async (status) => {
    const error = await errorFor(status, { message: "Server Error" });
    const result = githubErrorResult(error, ACTION);
    expect(result).toMatchObject({ outcome: "retry", httpStatus: status });
    expect(result).not.toHaveProperty("retryAfterMs");
  });

  it("503 with retry-after waits as asked", async () => {
    const error = await errorFor(503, { message: "Unavailable" }, { "retry-after": "12" });
    expect(githubErrorResult(error, ACTION)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 12_000,
    });
  });

  it("a 403 secondary rate limit with retry-after is retried after that wait", async () => {
    const error = await errorFor(
      403,
      { message: "You have exceeded a secondary rate limit. Please wait a few minutes." },
      { "retry-after": "60" },
    );
    expect(githubErrorResult(error, ACTION)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 60_000,
      httpStatus: 403,
    });
  });

  it("a 403 secondary rate limit without a header waits a minute", async () => {
    const error = await errorFor(403, {
      message: "You have exceeded a secondary rate limit. Please wait a few minutes.",
    });
    expect(githubErrorResult(error, ACTION)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 60_000,
    });
  });

  it("429 with x-ratelimit-remaining 0 waits until x-ratelimit-reset", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const reset = now / 1000 + 90;
    const error = await errorFor(
      429,
      { message: "API rate limit exceeded for installation ID 4242." },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
    expect(githubErrorResult(error, ACTION, now)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 91_000,
      httpStatus: 429,
    });
  });

  it("a 403 with the primary quota spent waits until the reset", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const error = await errorFor(
      403,
      { message: "API rate limit exceeded for installation ID 4242." },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) },
    );
    expect(githubErrorResult(error, ACTION, now)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 31_000,
    });
  });

  it("a plain 403 with quota left is permanent", async () => {
    const error = await errorFor(
      403,
      { message: "Resource not accessible by integration" },
      { "x-ratelimit-remaining": "4999" },
    );
    expect(githubErrorResult(error, ACTION)).toMatchObject({ outcome: "failed" });
  });

  it("a connection error is retried", async () => {
    github().post("/repos/o/r/statuses/abc").replyWithError({
      code: "ECONNRESET",
      message: "socket hang up",
    });
    const error = await octokit
      .request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        owner: "o",
        repo: "r",
        sha: "abc",
        state: "success",
      })
      .catch((caught: unknown) => caught);
    const result = githubErrorResult(error, ACTION);
    expect(result.outcome).toBe("retry");
    expect(result).toMatchObject({ error: expect.stringContaining("request to GitHub failed") });
    expect(result).not.toHaveProperty("httpStatus");
  });

  it("a timeout (aborted request) is retried", async () => {
    const controller = new AbortController();
    const scope = github().post("/repos/o/r/statuses/abc").delay(1_000).reply(201, {});
    // Abort once the request is in flight, as the engine's timeout would.
    scope.on("request", () => controller.abort());
    const pending = octokit
      .request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        owner: "o",
        repo: "r",
        sha: "abc",
        state: "success",
        request: { signal: controller.signal },
      })
      .catch((caught: unknown) => caught);
    const result = githubErrorResult(await pending, ACTION);
    expect(result).toMatchObject({ outcome: "retry", error: expect.stringContaining("timed out") });
    nock.abortPendingRequests();
  });

  it("anything else (the store, a bug) is retried with its message", () => {
    expect(githubErrorResult(new Error("SQLITE_BUSY: database is locked"), ACTION)).toEqual({
      outcome: "retry",
      error: `${ACTION} failed: SQLITE_BUSY: database is locked`,
    });
  });

  it("never repeats a token", async () => {
    const error = await errorFor(401, {
      message: `Bad credentials for token ${TOKEN}`,
      echo: `Authorization: Bearer ${TOKEN}`,
    });
    const result = githubErrorResult(error, ACTION);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(result).toMatchObject({
      outcome: "failed",
      error: expect.stringContaining("[redacted]"),
    });
  });

  it("recognises a token refused for a removed installation", async () => {
    github().post("/app/installations/7/access_tokens").reply(404, { message: "Not Found" });
    const error = await octokit
      .request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 7 })
      .catch((caught: unknown) => caught);
    expect(isStaleInstallationError(error)).toBe(true);
    expect(githubErrorResult(error, ACTION)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 1_000,
    });
    expect(isStaleInstallationError(await errorFor(404, { message: "Not Found" }))).toBe(false);
  });
});
