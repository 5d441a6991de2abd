import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  MalformedEventError,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { normalizeGithub } from "../../src/sources/github-normalize.js";

type Json = Record<string, unknown>;
interface WebhookDefinition {
  name: string;
  examples: Json[];
}

// Read rather than import: the file is 4 MB and typing it would slow the typecheck down.
const require = createRequire(import.meta.url);
const definitions = JSON.parse(
  readFileSync(require.resolve("@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
) as WebhookDefinition[];

function examplesOf(name: string): Json[] {
  const definition = definitions.find((d) => d.name === name);
  if (definition === undefined || definition.examples.length === 0) {
    throw new Error(`@octokit/webhooks-examples has no "${name}" examples`);
  }
  return definition.examples;
}

const deploymentStatusExamples = examplesOf("deployment_status");
const deploymentExamples = examplesOf("deployment");

function firstStatusExample(): Json {
  const example = deploymentStatusExamples[0];
  if (example === undefined) throw new Error("no deployment_status example");
  return structuredClone(example);
}

function obj(value: unknown): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("expected an object in the example");
  }
  return value as Json;
}

function deploymentStatusWith(changes: { status?: Json; deployment?: Json; root?: Json }): Json {
  const payload = firstStatusExample();
  Object.assign(obj(payload.deployment_status), changes.status);
  Object.assign(obj(payload.deployment), changes.deployment);
  return Object.assign(payload, changes.root);
}

function normalize(event: string, payload: unknown): NormalizeResult {
  return normalizeGithub({ headers: { "x-github-event": event }, payload });
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

const STATE_KINDS: Record<string, DeployEvent["kind"]> = {
  pending: "deploy.started",
  queued: "deploy.started",
  in_progress: "deploy.started",
  success: "deploy.succeeded",
  failure: "deploy.failed",
  error: "deploy.failed",
};

describe("normalizeGithub: deployment_status examples from @octokit/webhooks-examples", () => {
  it.each(deploymentStatusExamples.map((payload, index) => [index, payload] as const))(
    "maps example %i to the kind of its state with repository, commit and ids",
    (_, payload) => {
      const status = obj(payload.deployment_status);
      const deployment = obj(payload.deployment);
      const repository = obj(payload.repository);
      const event = expectEvent(normalize("deployment_status", payload));

      expect(event.kind).toBe(STATE_KINDS[String(status.state)]);
      expect(event.source).toBe("github");
      expect(event.sourceEvent).toBe("deployment_status");
      expect(event.project).toEqual({
        name: repository.name,
        id: String(repository.id),
        repository: {
          host: "github",
          origin: "https://github.com",
          fullPath: repository.full_name,
          id: repository.id,
          url: repository.html_url,
        },
      });
      expect(event.environment.name).toBe(status.environment);
      expect(event.commit).toEqual({
        sha: deployment.sha,
        ref: deployment.ref,
        url: `${repository.html_url}/commit/${deployment.sha}`,
      });
      expect(event.change).toBeUndefined();
      expect(event.ids).toEqual({
        deploy: String(deployment.id),
        deploymentStatus: String(status.id),
      });
      expect(event.occurredAt).toBe(new Date(String(status.updated_at)).toISOString());
    },
  );

  it("maps the production success example to a complete deploy.succeeded event", () => {
    expect(normalize("deployment_status", firstStatusExample())).toEqual({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "github",
      sourceEvent: "deployment_status",
      project: {
        name: "Hello-World",
        id: "186853002",
        repository: {
          host: "github",
          origin: "https://github.com",
          fullPath: "Codertocat/Hello-World",
          id: 186853002,
          url: "https://github.com/Codertocat/Hello-World",
        },
      },
      environment: { name: "production", type: "PRODUCTION" },
      commit: {
        sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        ref: "master",
        url: "https://github.com/Codertocat/Hello-World/commit/f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
      },
      urls: {},
      actor: "Codertocat",
      occurredAt: "2019-05-15T15:20:55.000Z",
      ids: { deploy: "145988746", deploymentStatus: "209916254" },
    });
  });

  it("maps the GitHub Pages in_progress example to deploy.started with its log URL", () => {
    const payload = deploymentStatusExamples.find(
      (p) => obj(p.deployment_status).state === "in_progress",
    );
    const event = expectEvent(normalize("deployment_status", payload));
    expect(event.kind).toBe("deploy.started");
    expect(event.environment).toEqual({ name: "github-pages", type: "PRODUCTION" });
    expect(event.urls.logs).toBe(
      "https://github.com/CorsixTH/CorsixTH/runs/4687056418?check_suite_focus=true",
    );
    // The example sends `environment_url: ""`: an empty URL is no URL.
    expect(event.urls.deploy).toBeUndefined();
    expect(event.actor).toBe("github-pages[bot]");
  });
});

describe("normalizeGithub: deployment examples from @octokit/webhooks-examples", () => {
  it.each(deploymentExamples.map((payload, index) => [index, payload] as const))(
    "maps example %i to deploy.started at the deployment's creation time",
    (_, payload) => {
      const deployment = obj(payload.deployment);
      const event = expectEvent(normalize("deployment", payload));
      expect(event.kind).toBe("deploy.started");
      expect(event.sourceEvent).toBe("deployment");
      expect(event.environment.name).toBe(deployment.environment);
      expect(event.commit?.sha).toBe(deployment.sha);
      expect(event.commit?.ref).toBe(deployment.ref);
      expect(event.ids).toEqual({ deploy: String(deployment.id) });
      expect(event.actor).toBe(obj(deployment.creator).login);
      expect(event.occurredAt).toBe(new Date(String(deployment.created_at)).toISOString());
      expect(event.urls).toEqual({});
    },
  );
});

describe("normalizeGithub: deployment_status states", () => {
  it.each(Object.entries(STATE_KINDS))("maps state %s to %s", (state, kind) => {
    const event = expectEvent(
      normalize("deployment_status", deploymentStatusWith({ status: { state } })),
    );
    expect(event.kind).toBe(kind);
  });

  it("ignores an inactive deployment status, saying the environment became inactive", () => {
    const result = normalize(
      "deployment_status",
      deploymentStatusWith({ status: { state: "inactive" } }),
    );
    expect(result).toEqual({
      ignored: true,
      reason: expect.stringContaining('environment "production" became inactive'),
    });
  });

  it.each(["exploded", "constructor", "__proto__"])(
    "ignores the unknown state %s with a reason",
    (state) => {
      const result = normalize("deployment_status", deploymentStatusWith({ status: { state } }));
      expect(result).toEqual({ ignored: true, reason: expect.stringContaining(`"${state}"`) });
    },
  );

  it("uses the description as the error of a failed deployment", () => {
    const payload = deploymentStatusWith({
      status: { state: "failure", description: "Health check timed out" },
    });
    expect(expectEvent(normalize("deployment_status", payload)).error).toBe(
      "Health check timed out",
    );
  });

  it("does not report a description as an error when the deployment succeeded", () => {
    const payload = deploymentStatusWith({ status: { state: "success", description: "Deployed" } });
    expect(expectEvent(normalize("deployment_status", payload)).error).toBeUndefined();
  });

  it("takes the deploy URL from environment_url and falls back to target_url for logs", () => {
    const payload = deploymentStatusWith({
      status: {
        environment_url: "https://hello.example.com",
        log_url: undefined,
        target_url: "https://ci.example.com/build/1",
      },
    });
    expect(expectEvent(normalize("deployment_status", payload)).urls).toEqual({
      deploy: "https://hello.example.com",
      logs: "https://ci.example.com/build/1",
    });
  });

  it("prefers log_url over target_url for logs", () => {
    const payload = deploymentStatusWith({
      status: { log_url: "https://ci.example.com/log", target_url: "https://ci.example.com/x" },
    });
    expect(expectEvent(normalize("deployment_status", payload)).urls.logs).toBe(
      "https://ci.example.com/log",
    );
  });

  it("falls back to the deployment's environment and the sender when the status lacks them", () => {
    const payload = deploymentStatusWith({
      status: { environment: undefined, creator: undefined },
      deployment: { environment: "qa" },
    });
    const event = expectEvent(normalize("deployment_status", payload));
    expect(event.environment).toEqual({ name: "qa", type: "STAGING" });
    expect(event.actor).toBe("Codertocat");
  });

  it("falls back to created_at when the status has no updated_at", () => {
    const payload = deploymentStatusWith({
      status: { updated_at: undefined, created_at: "2024-03-01T10:00:00+01:00" },
    });
    expect(expectEvent(normalize("deployment_status", payload)).occurredAt).toBe(
      "2024-03-01T09:00:00.000Z",
    );
  });
});

describe("normalizeGithub: environment type", () => {
  it.each([
    ["my-env", { production_environment: true }, "PRODUCTION"],
    ["pr-12-env", { production_environment: true, transient_environment: true }, "PRODUCTION"],
    ["my-env", { transient_environment: true }, "PREVIEW"],
    ["staging", { production_environment: false, transient_environment: false }, "STAGING"],
    // GitHub defaults the flag to false for any name but "production": false says nothing.
    ["prod", { production_environment: false }, "PRODUCTION"],
    ["review/feature-x", { production_environment: undefined }, "PREVIEW"],
    ["sandbox", {}, "DEVELOPMENT"],
  ])("types environment %s with flags %j as %s", (name, flags, type) => {
    const payload = deploymentStatusWith({
      status: { environment: name },
      deployment: { environment: name, ...flags },
    });
    expect(expectEvent(normalize("deployment_status", payload)).environment).toEqual({
      name,
      type,
    });
  });
});

describe("normalizeGithub: pull request previews", () => {
  it("takes the pull request number from a refs/pull ref", () => {
    const payload = deploymentStatusWith({ deployment: { ref: "refs/pull/12/merge" } });
    expect(expectEvent(normalize("deployment_status", payload)).change).toEqual({
      number: 12,
      url: "https://github.com/Codertocat/Hello-World/pull/12",
    });
  });

  it("leaves change undefined for a branch ref", () => {
    const payload = deploymentStatusWith({ deployment: { ref: "feature/pull-12" } });
    expect(expectEvent(normalize("deployment_status", payload)).change).toBeUndefined();
  });
});

describe("normalizeGithub: pull_request", () => {
  const closed = examplesOf("pull_request").filter((payload) => payload.action === "closed");

  it("turns every closed pull request example into change.closed", () => {
    expect(closed.length).toBeGreaterThan(0);
    for (const payload of closed) {
      expect(expectEvent(normalize("pull_request", payload))).toEqual({
        schemaVersion: 1,
        kind: "change.closed",
        source: "github",
        sourceEvent: "pull_request",
        project: {
          name: "Hello-World",
          id: "186853002",
          repository: {
            host: "github",
            origin: "https://github.com",
            fullPath: "Codertocat/Hello-World",
            id: 186853002,
            url: "https://github.com/Codertocat/Hello-World",
          },
        },
        environment: { name: "-", type: "PREVIEW" },
        commit: {
          sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
          url: "https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        },
        change: { number: 2, url: "https://github.com/Codertocat/Hello-World/pull/2" },
        urls: {},
        actor: "Codertocat",
        occurredAt: "2019-05-15T15:21:18.000Z",
        ids: { pullRequest: "279147437" },
      });
    }
  });

  it("ignores every other pull_request action, naming it", () => {
    const others = examplesOf("pull_request").filter((payload) => payload.action !== "closed");
    expect(others.length).toBeGreaterThan(0);
    for (const payload of others) {
      expect(normalize("pull_request", payload)).toEqual({
        ignored: true,
        reason: `github "pull_request" action "${String(payload.action)}" is not handled`,
      });
    }
  });

  it("rejects a closed pull request without its number as malformed", () => {
    const payload = structuredClone(closed[0]) as Json;
    delete obj(payload.pull_request).number;
    expect(() => normalize("pull_request", payload)).toThrow(MalformedEventError);
  });
});

describe("normalizeGithub: events that are not deploys", () => {
  it.each(["push", "ping", "workflow_run", "status", "installation"])(
    "ignores every %s example, naming the event",
    (name) => {
      for (const payload of examplesOf(name)) {
        expect(normalize(name, payload)).toEqual({
          ignored: true,
          reason: `github event "${name}" is not a deploy event`,
        });
      }
    },
  );

  it("ignores a deployment_status whose action is not created", () => {
    const payload = deploymentStatusWith({ root: { action: "updated" } });
    expect(normalize("deployment_status", payload)).toEqual({
      ignored: true,
      reason: expect.stringContaining('"updated"'),
    });
  });

  it("takes a deployment without an action as created, as GitHub Enterprise Server sends it", () => {
    const payload = structuredClone(deploymentExamples[0]) ?? {};
    delete payload.action;
    expect(isIgnored(normalize("deployment", payload))).toBe(false);
  });
});

describe("normalizeGithub: malformed input", () => {
  const withoutKey = (key: string) => {
    const payload = firstStatusExample();
    delete payload[key];
    return payload;
  };

  it.each<[string, string, unknown, RegExp]>([
    ["null", "deployment_status", null, /github payload must be a JSON object, got null/],
    ["an array", "deployment_status", [], /got array/],
    ["a string", "deployment_status", "payload=%7B%7D", /got string/],
    ["a number", "push", 42, /got number/],
    [
      "no deployment",
      "deployment_status",
      withoutKey("deployment"),
      /deployment must be an object/,
    ],
    [
      "no repository",
      "deployment_status",
      withoutKey("repository"),
      /repository must be an object/,
    ],
    [
      "no deployment_status",
      "deployment_status",
      withoutKey("deployment_status"),
      /deployment_status must be/,
    ],
    [
      "no sha",
      "deployment_status",
      deploymentStatusWith({ deployment: { sha: null } }),
      /deployment\.sha/,
    ],
    [
      "a numeric state",
      "deployment_status",
      deploymentStatusWith({ status: { state: 3 } }),
      /state/,
    ],
    [
      "a bad html_url",
      "deployment_status",
      deploymentStatusWith({
        root: { repository: { ...obj(firstStatusExample().repository), html_url: "not a url" } },
      }),
      /html_url/,
    ],
    [
      "no environment",
      "deployment",
      (() => {
        const payload = structuredClone(deploymentExamples[0]) ?? {};
        delete obj(payload.deployment).environment;
        return payload;
      })(),
      /deployment\.environment/,
    ],
    [
      "a time without zone",
      "deployment_status",
      deploymentStatusWith({ status: { updated_at: "2024-03-01T10:00:00" } }),
      /not a recognised timestamp/,
    ],
    [
      "an impossible date",
      "deployment_status",
      deploymentStatusWith({ status: { updated_at: "2024-02-30T10:00:00Z" } }),
      /not a recognised timestamp/,
    ],
    [
      "an unparseable time",
      "deployment_status",
      deploymentStatusWith({ status: { updated_at: "yesterday" } }),
      /updated_at is not a recognised timestamp/,
    ],
    [
      "no timestamps",
      "deployment_status",
      deploymentStatusWith({ status: { updated_at: null, created_at: null } }),
      /timestamp/,
    ],
  ])("rejects a payload that is %s with MalformedEventError", (_, event, payload, message) => {
    expect(() => normalize(event, payload)).toThrow(MalformedEventError);
    expect(() => normalize(event, payload)).toThrow(message);
  });

  it("rejects a delivery without an x-github-event header", () => {
    expect(() => normalizeGithub({ headers: {}, payload: firstStatusExample() })).toThrow(
      MalformedEventError,
    );
  });

  it("names the event in the message", () => {
    expect(() => normalize("deployment_status", withoutKey("deployment"))).toThrow(
      /^github "deployment_status" event: deployment must be an object, got undefined$/,
    );
  });
});

describe("GitHub Enterprise Server payloads", () => {
  const ghes = JSON.parse(
    readFileSync(
      createRequire(import.meta.url).resolve("@octokit/webhooks-examples/ghes-35/index.json"),
      "utf8",
    ),
  ) as Array<{ name: string; examples: Record<string, unknown>[] }>;

  it.each((ghes.find((g) => g.name === "deployment_status")?.examples ?? []).map((p, i) => [i, p]))(
    "normalizes deployment_status example %i, which has no action",
    (_i, payload) => {
      const result = normalizeGithub({
        headers: { "x-github-event": "deployment_status" },
        payload,
      });
      expect(isIgnored(result)).toBe(false);
    },
  );
});
