import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  MalformedEventError,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { deployEventSchema } from "../../src/events/deploy-event-schema.js";
import { bitriseEventName, normalizeBitrise } from "../../src/sources/bitrise-normalize.js";
import { fixtureText } from "../helpers/payloads.js";

type Json = Record<string, unknown>;

const RECEIVED = "2024-05-14T09:31:07.000Z";
const triggered = (): Json => JSON.parse(fixtureText("bitrise/build_triggered.json")) as Json;
const finished = (): Json => JSON.parse(fixtureText("bitrise/build_finished.json")) as Json;

function normalize(payload: unknown, event?: string): NormalizeResult {
  const headers: Record<string, string> =
    event === undefined ? {} : { "bitrise-event-type": event };
  return normalizeBitrise({ headers, payload, receivedAt: RECEIVED });
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

describe("Bitrise normalizer", () => {
  it("turns the documented build/triggered example into deploy.started, the workflow as environment", () => {
    const event = expectEvent(normalize(triggered(), "build/triggered"));
    expect(event).toEqual({
      schemaVersion: 1,
      kind: "deploy.started",
      source: "bitrise",
      sourceEvent: "build/triggered",
      project: { name: "abcd1234", id: "abcd1234" },
      environment: { name: "deploy", type: "DEVELOPMENT" },
      commit: { sha: undefined, ref: "v1.0", message: undefined },
      change: { number: 32 },
      urls: {
        logs: "https://app.bitrise.io/build/1234abcd",
        admin: "https://app.bitrise.io/app/abcd1234",
      },
      error: undefined,
      actor: undefined,
      occurredAt: RECEIVED,
      ids: { deploy: "1234abcd", build: "3" },
    });
    expect(deployEventSchema.parse(event)).toEqual(JSON.parse(JSON.stringify(event)));
  });

  it("maps build/started to deploy.started", () => {
    expect(expectEvent(normalize(triggered(), "build/started")).kind).toBe("deploy.started");
  });

  it.each([
    [1, "deploy.succeeded"],
    [2, "deploy.failed"],
    [3, "deploy.failed"],
    [4, "deploy.cancelled"],
  ])("maps build/finished with build_status %i to %s", (status, kind) => {
    const event = expectEvent(normalize({ ...finished(), build_status: status }, "build/finished"));
    expect(event.kind).toBe(kind);
    expect(event.sourceEvent).toBe("build/finished");
  });

  it("ignores a build/finished whose build is still running (status 0), saying so", () => {
    const result = normalize({ ...finished(), build_status: 0 }, "build/finished");
    expect(result).toEqual({
      ignored: true,
      reason: "bitrise build/finished with build_status 0 is not an outcome",
    });
  });

  it("ignores events other than builds", () => {
    const result = normalize(finished(), "app/deleted");
    expect(isIgnored(result) && result.reason).toBe(
      'bitrise event "app/deleted" is not a build event',
    );
  });

  it("reads the event from build_status when the header is missing", () => {
    expect(bitriseEventName({}, triggered())).toBe("build/started");
    expect(bitriseEventName({}, finished())).toBe("build/finished");
    expect(bitriseEventName({ "bitrise-event-type": " Build/Finished " }, {})).toBe(
      "build/finished",
    );
    expect(expectEvent(normalize(finished())).kind).toBe("deploy.succeeded");
    expect(isIgnored(normalize({ app_slug: "a" }))).toBe(true);
  });

  it("classifies the workflow's name like any environment name", () => {
    const event = expectEvent(
      normalize({ ...finished(), build_triggered_workflow: "deploy-production" }, "build/finished"),
    );
    expect(event.environment).toEqual({ name: "deploy-production", type: "PRODUCTION" });
  });

  it("takes the branch when there is no tag, and a full commit hash when sent", () => {
    const payload = finished();
    payload.git = {
      provider: "gitlab",
      src_branch: "main",
      pull_request_id: 0,
      commit_hash: "A94A8FE5CCB19BA61C4C0873D391E987982FBBD3",
    };
    const event = expectEvent(normalize(payload, "build/finished"));
    expect(event.commit).toEqual({
      sha: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
      ref: "main",
      message: undefined,
    });
    // 0 is Bitrise's "not a pull request".
    expect(event.change).toBeUndefined();
  });

  it("takes the build's own time over the receive time when the body has one", () => {
    const event = expectEvent(
      normalize({ ...finished(), finished_at: "2024-05-14T10:00:00+02:00" }, "build/finished"),
    );
    expect(event.occurredAt).toBe("2024-05-14T08:00:00.000Z");
  });

  it.each(["app_slug", "build_slug", "build_triggered_workflow"])(
    "refuses a build without %s as malformed, naming the field",
    (field) => {
      const payload = finished();
      delete payload[field];
      expect(() => normalize(payload, "build/finished")).toThrow(MalformedEventError);
      expect(() => normalize(payload, "build/finished")).toThrow(field);
    },
  );

  it("refuses a build with no time at all rather than inventing one", () => {
    expect(() =>
      normalizeBitrise({
        headers: { "bitrise-event-type": "build/finished" },
        payload: finished(),
      }),
    ).toThrow(/triggered_at/);
  });

  it("is pure: the same input gives the same event and is left as it was", () => {
    const payload = finished();
    const copy = structuredClone(payload);
    expect(normalize(payload, "build/finished")).toEqual(normalize(payload, "build/finished"));
    expect(payload).toEqual(copy);
  });
});
