import { describe, expect, it } from "vitest";
import { targetOutcomeOf } from "../../src/delivery/delivery-worker.js";

describe("what an attempt says about its receiver's health", () => {
  it("counts a success, a retry, a failure and a 410", () => {
    expect(targetOutcomeOf({ outcome: "succeeded" })).toEqual({ type: "success" });
    expect(targetOutcomeOf({ outcome: "retry", error: "HTTP 503" })).toEqual({
      type: "failure",
      error: "HTTP 503",
    });
    expect(targetOutcomeOf({ outcome: "failed", error: "HTTP 400" })).toEqual({
      type: "failure",
      error: "HTTP 400",
    });
    expect(
      targetOutcomeOf({ outcome: "failed", error: "HTTP 410", disableTarget: "410 Gone" }),
    ).toEqual({ type: "gone", reason: "410 Gone" });
  });

  it("says nothing for a skip, nor for a message held back before sending (Slack's pacing)", () => {
    expect(targetOutcomeOf({ outcome: "skipped", reason: "no open pull request" })).toBeUndefined();
    expect(
      targetOutcomeOf({
        outcome: "retry",
        error: "not sent: waiting for Slack's pace",
        retryAfterMs: 800,
        notSent: true,
      }),
    ).toBeUndefined();
  });
});
