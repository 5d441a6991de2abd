import { GitbeakerRequestError, GitbeakerTimeoutError } from "@gitbeaker/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { createGitlabClient } from "../../../src/notifiers/gitlab/gitlab-client.js";
import {
  gitlabErrorResult,
  gitlabRetryAfterMs,
  gitlabStatus,
} from "../../../src/notifiers/gitlab/gitlab-errors.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import { useStrictNock } from "../../helpers/strict-nock.js";

const GITLAB_URL = "https://gitlab.example.com";
const TOKEN = "glpat-SecretToken0123456789";
const ACTION = "setting the GitLab commit status";
const NOW = Date.parse("2024-05-01T12:00:00Z");

useStrictNock();

const gitlab = createGitlabClient({ url: GITLAB_URL, token: TOKEN });

/** What the client throws when GitLab answers `status` to `GET /user`. */
async function answered(
  status: number,
  body: Record<string, unknown> | string,
  headers: Record<string, string> = {},
): Promise<unknown> {
  nock(GITLAB_URL).get("/api/v4/user").reply(status, body, headers);
  return gitlab.Users.showCurrentUser().then(
    () => {
      throw new Error("expected the request to fail");
    },
    (error: unknown) => error,
  );
}

/** An error as the client builds it, without a request. */
function requestError(status: number, description: string, headers: Record<string, string> = {}) {
  const request = new Request(`${GITLAB_URL}/api/v4/user`, {
    headers: { "private-token": TOKEN },
  });
  const response = new Response(null, { status, headers });
  return new GitbeakerRequestError(description, { cause: { description, request, response } });
}

function expectNoToken(result: AttemptResult): void {
  expect(JSON.stringify(result)).not.toContain(TOKEN);
}

describe("gitlabErrorResult: permanent answers", () => {
  it.each([
    [401, "401 Unauthorized", "token is invalid"],
    [403, "403 Forbidden", "api scope"],
    [404, "404 Project Not Found", "not found"],
    [422, "Name has already been taken", "invalid"],
  ])("%i is failed with GitLab's message", async (status, message, hint) => {
    const result = gitlabErrorResult(await answered(status, { message }), ACTION);
    expect(result).toMatchObject({ outcome: "failed", httpStatus: status, response: message });
    if (result.outcome !== "failed") throw new Error("unreachable");
    expect(result.error).toContain(`${ACTION}: GitLab answered ${status}: ${message}`);
    expect(result.error).toContain(hint);
    expectNoToken(result);
  });

  it("quotes OAuth-style `error` answers and other 4xx as failed", async () => {
    const result = gitlabErrorResult(
      await answered(400, { error: "state does not have a valid value" }),
      ACTION,
    );
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 400 });
    expect(result).toHaveProperty("error", expect.stringContaining("state does not have"));
  });

  it("keeps a 403 with rate-limit headers that still has requests left a refusal", () => {
    const error = requestError(403, "403 Forbidden", {
      "ratelimit-remaining": "1999",
      "ratelimit-reset": String(NOW / 1000 + 60),
    });
    expect(gitlabErrorResult(error, ACTION, NOW).outcome).toBe("failed");
  });
});

describe("gitlabErrorResult: retried answers", () => {
  it("retries a 500", async () => {
    const result = gitlabErrorResult(
      await answered(500, { message: "500 Internal Server Error" }),
      ACTION,
    );
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 500 });
    expect(result).not.toHaveProperty("retryAfterMs");
    expect(result).toHaveProperty("error", expect.stringContaining("500 Internal Server Error"));
  });

  it("retries a 503 after its Retry-After", async () => {
    const result = gitlabErrorResult(
      await answered(503, "maintenance", { "content-type": "text/plain", "retry-after": "120" }),
      ACTION,
    );
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 503, retryAfterMs: 120_000 });
  });

  it("retries a 429 after its Retry-After", async () => {
    const result = gitlabErrorResult(
      await answered(429, { message: "Retry later" }, { "retry-after": "30" }),
      ACTION,
    );
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 429, retryAfterMs: 30_000 });
    expect(result).toHaveProperty("error", expect.stringContaining("rate limited by GitLab"));
    expectNoToken(result);
  });

  it("retries a 429 until RateLimit-Reset when it has no Retry-After", () => {
    const error = requestError(429, "Retry later", { "ratelimit-reset": String(NOW / 1000 + 45) });
    expect(gitlabErrorResult(error, ACTION, NOW)).toMatchObject({
      outcome: "retry",
      retryAfterMs: 45_000,
    });
  });

  it("retries a 429 that says nothing on the engine's schedule", () => {
    const result = gitlabErrorResult(requestError(429, ""), ACTION, NOW);
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 429 });
    expect(result).not.toHaveProperty("retryAfterMs");
    expect(result).not.toHaveProperty("response");
  });

  it("retries a 403 that is a rate limit", () => {
    expect(
      gitlabErrorResult(requestError(403, "Forbidden", { "retry-after": "10" }), ACTION, NOW),
    ).toMatchObject({ outcome: "retry", retryAfterMs: 10_000 });
    expect(
      gitlabErrorResult(
        requestError(403, "Forbidden", {
          "ratelimit-remaining": "0",
          "ratelimit-reset": String(NOW / 1000 + 5),
        }),
        ACTION,
        NOW,
      ),
    ).toMatchObject({ outcome: "retry", retryAfterMs: 5000 });
  });
});

describe("gitlabErrorResult: no answer", () => {
  it("retries a connection error", async () => {
    nock(GITLAB_URL)
      .get("/api/v4/user")
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const error = await gitlab.Users.showCurrentUser().catch((e: unknown) => e);
    const result = gitlabErrorResult(error, ACTION);
    expect(result).toMatchObject({ outcome: "retry" });
    expect(result).toHaveProperty("error", expect.stringContaining("ECONNREFUSED"));
    expect(gitlabStatus(error)).toBeUndefined();
    expectNoToken(result);
  });

  it("retries a timeout", () => {
    const result = gitlabErrorResult(
      new GitbeakerTimeoutError("Query timeout was reached"),
      ACTION,
    );
    expect(result).toEqual({ outcome: "retry", error: `${ACTION}: timed out waiting for GitLab` });
  });

  it("never repeats a credential an error message quotes", () => {
    const error = new TypeError(`No match for request {"headers":{"private-token":"${TOKEN}"}}`);
    const result = gitlabErrorResult(error, ACTION);
    expect(result.outcome).toBe("retry");
    expectNoToken(result);
    expect(result).toHaveProperty("error", expect.stringContaining('"private-token":"[redacted]"'));
  });
});

describe("helpers", () => {
  it("gitlabStatus reads the answer's status", () => {
    expect(gitlabStatus(requestError(404, "404 Note Not Found"))).toBe(404);
    expect(gitlabStatus(new Error("boom"))).toBeUndefined();
  });

  it("gitlabRetryAfterMs prefers Retry-After, reads HTTP dates, and never goes negative", () => {
    const date = new Date(NOW + 90_000).toUTCString();
    expect(gitlabRetryAfterMs(new Headers({ "retry-after": date }), NOW)).toBe(90_000);
    expect(
      gitlabRetryAfterMs(
        new Headers({ "retry-after": "3", "ratelimit-reset": String(NOW / 1000 + 60) }),
        NOW,
      ),
    ).toBe(3000);
    expect(gitlabRetryAfterMs(new Headers({ "ratelimit-reset": "1" }), NOW)).toBe(0);
    expect(gitlabRetryAfterMs(new Headers({ "ratelimit-reset": "soon" }), NOW)).toBeUndefined();
    expect(gitlabRetryAfterMs(new Headers(), NOW)).toBeUndefined();
  });
});
