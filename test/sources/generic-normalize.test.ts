import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  MalformedEventError,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { deployEventSchema } from "../../src/events/deploy-event-schema.js";
import { genericBodyJsonSchema } from "../../src/sources/generic-body.js";
import { normalizeGeneric } from "../../src/sources/generic-normalize.js";

const RECEIVED = "2024-05-14T09:40:00.000Z";
const SHA = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";

const OPTIONS = { githubHosts: ["github.com"], gitlabHosts: ["gitlab.com", "git.example.com"] };

function normalize(payload: unknown): NormalizeResult {
  return normalizeGeneric({ headers: {}, payload, receivedAt: RECEIVED }, OPTIONS);
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

describe("generic normalizer", () => {
  it("turns a full report into an event, with the GitHub repository and its links", () => {
    const event = expectEvent(
      normalize({
        kind: "deploy.succeeded",
        project: "web",
        environment: "production",
        environment_type: "PRODUCTION",
        ref: "main",
        sha: SHA.toUpperCase(),
        repository_url: "https://github.com/acme/web",
        change: 12,
        deploy_url: "https://web.example.com",
        log_url: "https://ci.example.com/runs/1",
        description: "release 1.2",
        actor: "ada",
        deploy_id: "run-1",
        occurred_at: "2024-05-14T11:00:00+02:00",
      }),
    );
    expect(event).toEqual({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "generic",
      sourceEvent: "deploy.succeeded",
      project: {
        name: "web",
        repository: {
          host: "github",
          origin: "https://github.com",
          fullPath: "acme/web",
          url: "https://github.com/acme/web",
        },
      },
      environment: { name: "production", type: "PRODUCTION" },
      commit: {
        sha: SHA,
        ref: "main",
        url: `https://github.com/acme/web/commit/${SHA}`,
        message: "release 1.2",
      },
      change: { number: 12, url: "https://github.com/acme/web/pull/12" },
      urls: { deploy: "https://web.example.com", logs: "https://ci.example.com/runs/1" },
      actor: "ada",
      occurredAt: "2024-05-14T09:00:00.000Z",
      ids: { deploy: "run-1" },
    });
    expect(deployEventSchema.parse(event)).toEqual(JSON.parse(JSON.stringify(event)));
  });

  it("reads a GitLab repository (the configured host, a .git suffix) and its merge request", () => {
    const event = expectEvent(
      normalize({
        kind: "deploy.failed",
        project: "api",
        environment: "review/fix-login",
        repository_url: "https://git.example.com/group/sub/api.git",
        sha: SHA,
        change: 7,
        description: "helm upgrade timed out",
      }),
    );
    expect(event.project.repository).toEqual({
      host: "gitlab",
      origin: "https://git.example.com",
      fullPath: "group/sub/api",
      url: "https://git.example.com/group/sub/api",
    });
    expect(event.change).toEqual({
      number: 7,
      url: "https://git.example.com/group/sub/api/-/merge_requests/7",
    });
    expect(event.commit?.url).toBe(`https://git.example.com/group/sub/api/-/commit/${SHA}`);
    expect(event.environment.type).toBe("PREVIEW");
    expect(event.error).toBe("helm upgrade timed out");
  });

  it("keeps a repository on an unknown host out of the event (no output could write to it)", () => {
    const event = expectEvent(
      normalize({
        kind: "deploy.started",
        project: "web",
        environment: "staging",
        repository_url: "https://code.example.org/acme/web",
      }),
    );
    expect(event.project.repository).toBeUndefined();
    expect(event.commit).toBeUndefined();
    expect(event.occurredAt).toBe(RECEIVED);
    expect(event.environment.type).toBe("STAGING");
  });

  it("refuses a body that does not match the format as malformed, naming every problem", () => {
    const run = () =>
      normalize({ kind: "deploy.done", project: "", environment: "prod", extra: 1 });
    expect(run).toThrow(MalformedEventError);
    expect(run).toThrow(/kind: expected one of .*; project: .*; \(body\): .*extra/);
  });

  it("publishes a JSON Schema that refuses unknown fields and requires kind, project, environment", () => {
    const schema = genericBodyJsonSchema();
    expect(schema.$id).toBe("https://shipcast.dev/schemas/generic/v1.json");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["kind", "project", "environment"]);
    expect(Object.keys(schema.properties as object)).toContain("repository_url");
  });
});
