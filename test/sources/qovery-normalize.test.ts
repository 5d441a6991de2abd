import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { deployEventSchema } from "../../src/events/deploy-event-schema.js";
import { normalizeQovery, qoveryEventName } from "../../src/sources/qovery-normalize.js";
import { fixtureText } from "../helpers/payloads.js";

type Json = Record<string, unknown>;

const RECEIVED = "2024-05-14T09:40:00.000Z";
const successful = (): Json => JSON.parse(fixtureText("qovery/deployment_successful.json")) as Json;

function normalize(payload: unknown): NormalizeResult {
  return normalizeQovery({ headers: {}, payload, receivedAt: RECEIVED });
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

describe("Qovery normalizer", () => {
  it("turns a DEPLOYMENT_SUCCESSFUL body into deploy.succeeded with project, environment and type", () => {
    const event = expectEvent(normalize(successful()));
    expect(event).toMatchObject({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "qovery",
      sourceEvent: "DEPLOYMENT_SUCCESSFUL",
      project: { name: "analytics", id: "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d" },
      environment: { name: "production", type: "PRODUCTION" },
      occurredAt: "2024-05-14T09:31:07.000Z",
      ids: { environment: "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e" },
    });
    expect(deployEventSchema.parse(event)).toEqual(JSON.parse(JSON.stringify(event)));
  });

  it.each([
    ["DEPLOYMENT_STARTED", "deploy.started"],
    ["DEPLOYMENT_SUCCESSFUL", "deploy.succeeded"],
    ["DEPLOYMENT_FAILURE", "deploy.failed"],
    ["DEPLOYMENT_CANCELLED", "deploy.cancelled"],
    ["deployment_failure", "deploy.failed"],
  ])("maps %s to %s", (eventType, kind) => {
    expect(expectEvent(normalize({ ...successful(), event_type: eventType })).kind).toBe(kind);
  });

  it("reads the fields leniently: top level, plain names, another spelling of the type", () => {
    const event = expectEvent(
      normalize({
        type: "DEPLOYMENT_STARTED",
        project_name: "shop",
        environment: "pr-42",
        environment_mode: "preview",
        timestamp: 1715679067,
        git_commit_id: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        git_branch: "feature/cart",
      }),
    );
    expect(event.project.name).toBe("shop");
    expect(event.environment).toEqual({ name: "pr-42", type: "PREVIEW" });
    expect(event.occurredAt).toBe("2024-05-14T09:31:07.000Z");
    expect(event.commit).toEqual({
      sha: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
      ref: "feature/cart",
    });
  });

  it("guesses the type from the environment's name when none is sent, and uses the receive time", () => {
    const payload = successful();
    payload.payload = { project: "analytics", environment: { name: "staging-eu" } };
    const event = expectEvent(normalize(payload));
    expect(event.environment).toEqual({ name: "staging-eu", type: "STAGING" });
    expect(event.occurredAt).toBe(RECEIVED);
  });

  it.each([
    ["no event type", { payload: {} }, "qovery event has no event_type"],
    [
      "no project",
      { event_type: "DEPLOYMENT_STARTED", payload: { environment: { name: "prod" } } },
      "qovery DEPLOYMENT_STARTED has no project (payload.project.name)",
    ],
    [
      "no environment",
      { event_type: "DEPLOYMENT_FAILURE", payload: { project: { name: "web" } } },
      "qovery DEPLOYMENT_FAILURE has no environment (payload.environment.name)",
    ],
    [
      "another event",
      { event_type: "CLUSTER_UPDATED" },
      'qovery event "CLUSTER_UPDATED" is not a deployment event',
    ],
    ["a body that is not an object", ["x"], "qovery body is not a JSON object"],
  ])(
    "records a body with %s as ignored, naming what was missing, never an error",
    (_name, payload, reason) => {
      expect(normalize(payload)).toEqual({ ignored: true, reason });
    },
  );

  it("records an event with no time at all as ignored rather than failing", () => {
    const payload = successful();
    delete (payload.payload as Json).timestamp;
    expect(normalizeQovery({ headers: {}, payload })).toEqual({
      ignored: true,
      reason: "qovery DEPLOYMENT_SUCCESSFUL has no time (timestamp)",
    });
  });

  it("names the event type for the inbox, upper-cased", () => {
    expect(qoveryEventName({ payload: { event_type: "deployment_started" } })).toBe(
      "DEPLOYMENT_STARTED",
    );
    expect(qoveryEventName({})).toBeUndefined();
  });

  it("is pure: the same input gives the same event and is left as it was", () => {
    const payload = successful();
    const copy = structuredClone(payload);
    expect(normalize(payload)).toEqual(normalize(payload));
    expect(payload).toEqual(copy);
  });
});
