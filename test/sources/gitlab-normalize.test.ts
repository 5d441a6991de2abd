import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  MalformedEventError,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { gitlabTimestampToIso, normalizeGitlab } from "../../src/sources/gitlab-normalize.js";

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), "utf8"),
  ) as Json;
}

function obj(value: unknown): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("expected an object in the fixture");
  }
  return value as Json;
}

function normalize(payload: unknown, event?: string): NormalizeResult {
  return normalizeGitlab({
    headers: event === undefined ? {} : { "x-gitlab-event": event },
    payload,
  });
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

function deployment(changes: Json = {}): Json {
  return { ...fixture("deployment.json"), ...changes };
}

/**
 * The fixture's pipeline with its manual deploy job run (as captured it was skipped), for
 * variations on status and builds.
 */
function pipeline(changes: { attributes?: Json; root?: Json } = {}): Json {
  const payload = fixture("pipeline.json");
  const builds = payload.builds as Json[];
  builds[0] = { ...obj(builds[0]), status: "success" };
  Object.assign(obj(payload.object_attributes), changes.attributes);
  return Object.assign(payload, changes.root);
}

function buildsWithoutEnvironment(): unknown[] {
  const builds = fixture("pipeline.json").builds;
  if (!Array.isArray(builds)) throw new Error("fixture has no builds");
  return builds.map((build) => ({ ...obj(build), environment: null }));
}

describe("gitlabTimestampToIso", () => {
  it.each([
    ["2021-04-28 21:50:00 +0200", "2021-04-28T19:50:00.000Z"],
    ["2021-04-28 21:50:00 -0130", "2021-04-28T23:20:00.000Z"],
    ["2016-08-12 15:23:28 UTC", "2016-08-12T15:23:28.000Z"],
    ["2013-12-03T17:23:34Z", "2013-12-03T17:23:34.000Z"],
    ["2012-01-03T23:36:29+02:00", "2012-01-03T21:36:29.000Z"],
    ["2021-04-28 21:50:00.123 +0000", "2021-04-28T21:50:00.123Z"],
  ])("converts %s to %s", (text, iso) => {
    expect(gitlabTimestampToIso(text)).toBe(iso);
  });

  it.each([
    "",
    "yesterday",
    "2021-04-28",
    "2021-04-28 21:50:00",
    "2021-13-45 99:00:00 UTC",
    "2021-02-30 10:00:00 UTC",
  ])("returns undefined for %j", (text) => {
    expect(gitlabTimestampToIso(text)).toBeUndefined();
  });
});

describe("normalizeGitlab: Deployment Hook", () => {
  it("maps the deployment fixture to a complete deploy.succeeded event with the full sha", () => {
    expect(normalize(fixture("deployment.json"), "Deployment Hook")).toEqual({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "gitlab",
      sourceEvent: "Deployment Hook",
      project: {
        name: "test-deployment-webhooks",
        id: "30",
        repository: {
          host: "gitlab",
          origin: "http://10.126.0.2:3000",
          fullPath: "root/test-deployment-webhooks",
          id: 30,
          url: "http://10.126.0.2:3000/root/test-deployment-webhooks",
        },
      },
      environment: { name: "staging", type: "STAGING" },
      commit: {
        sha: "279484c09fbe69ededfced8c1bb6e6d24616b468",
        ref: "1.0.0",
        url: "http://10.126.0.2:3000/root/test-deployment-webhooks/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468",
        message: "Add new file",
      },
      urls: {
        deploy: "https://staging.example.com",
        logs: "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796",
      },
      actor: "user1",
      occurredAt: "2021-04-28T19:50:00.000Z",
      ids: { deploy: "15", job: "796" },
    });
  });

  it("recognises the hook from object_kind when the header is missing", () => {
    expect(expectEvent(normalize(fixture("deployment.json"))).sourceEvent).toBe("Deployment Hook");
  });

  it.each([
    ["running", "deploy.started"],
    ["success", "deploy.succeeded"],
    ["failed", "deploy.failed"],
    ["canceled", "deploy.cancelled"],
  ])("maps deployment status %s to %s", (status, kind) => {
    expect(expectEvent(normalize(deployment({ status }), "Deployment Hook")).kind).toBe(kind);
  });

  it.each(["created", "blocked", "toString"])(
    "ignores deployment status %s with a reason",
    (status) => {
      expect(normalize(deployment({ status }), "Deployment Hook")).toEqual({
        ignored: true,
        reason: `gitlab deployment status "${status}" is not mapped`,
      });
    },
  );

  it("keeps the short sha when the commit URL does not end with a full one", () => {
    const payload = deployment({ commit_url: "http://10.126.0.2:3000/root/x/-/commit/279484c0" });
    expect(expectEvent(normalize(payload, "Deployment Hook")).commit?.sha).toBe("279484c0");
  });

  it.each([
    ["production", "review/x", "PRODUCTION"],
    ["staging", "my-env", "STAGING"],
    ["testing", "production", "DEVELOPMENT"],
    ["development", "live", "DEVELOPMENT"],
    ["other", "uat", "STAGING"],
  ])("types environment tier %s (environment %s) as %s", (tier, environment, type) => {
    const payload = deployment({ environment_tier: tier, environment });
    expect(expectEvent(normalize(payload, "Deployment Hook")).environment).toEqual({
      name: environment,
      type,
    });
  });

  it("infers the environment type from the name when there is no tier", () => {
    const payload = deployment({ environment: "production/eu" });
    expect(expectEvent(normalize(payload, "Deployment Hook")).environment.type).toBe("PRODUCTION");
  });
});

describe("normalizeGitlab: Pipeline Hook", () => {
  it("ignores the pipeline fixture as captured: its manual production job never ran", () => {
    expect(normalize(fixture("pipeline.json"), "Pipeline Hook")).toEqual({
      ignored: true,
      reason: 'gitlab pipeline\'s deploy job "production" did not run (skipped)',
    });
  });

  it("maps the pipeline fixture, its deploy job run, to deploy.succeeded", () => {
    expect(normalize(pipeline(), "Pipeline Hook")).toEqual({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "gitlab",
      sourceEvent: "Pipeline Hook",
      project: {
        name: "Gitlab Test",
        id: "1",
        repository: {
          host: "gitlab",
          origin: "http://192.168.64.1:3005",
          fullPath: "gitlab-org/gitlab-test",
          id: 1,
          url: "http://192.168.64.1:3005/gitlab-org/gitlab-test",
        },
      },
      environment: { name: "production", type: "PRODUCTION" },
      commit: {
        sha: "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
        ref: "master",
        url: "http://example.com/gitlab-org/gitlab-test/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2",
        message: "test",
      },
      change: {
        number: 1,
        url: "http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1",
      },
      urls: { logs: "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31" },
      actor: "user1",
      occurredAt: "2016-08-12T15:26:29.000Z",
      ids: { deploy: "pipeline:31", job: "380" },
    });
  });

  it("recognises the hook from object_kind when the header is missing", () => {
    expect(expectEvent(normalize(pipeline())).sourceEvent).toBe("Pipeline Hook");
  });

  it.each([
    ["pending", "deploy.started"],
    ["running", "deploy.started"],
    ["success", "deploy.succeeded"],
    ["failed", "deploy.failed"],
    ["canceled", "deploy.cancelled"],
  ])("maps pipeline status %s to %s", (status, kind) => {
    expect(expectEvent(normalize(pipeline({ attributes: { status } }), "Pipeline Hook")).kind).toBe(
      kind,
    );
  });

  it.each(["skipped", "manual", "created"])("ignores pipeline status %s", (status) => {
    expect(normalize(pipeline({ attributes: { status } }), "Pipeline Hook")).toEqual({
      ignored: true,
      reason: `gitlab pipeline status "${status}" is not mapped`,
    });
  });

  it("uses created_at as the time of a pipeline that has not finished", () => {
    const payload = pipeline({ attributes: { status: "running", finished_at: null } });
    expect(expectEvent(normalize(payload, "Pipeline Hook")).occurredAt).toBe(
      "2016-08-12T15:23:28.000Z",
    );
  });

  it("ignores a pipeline whose builds deploy to no environment", () => {
    const payload = pipeline({ root: { builds: buildsWithoutEnvironment() } });
    expect(normalize(payload, "Pipeline Hook")).toEqual({
      ignored: true,
      reason: "gitlab pipeline has no deploy job",
    });
  });

  it("ignores a pipeline whose only environment job stops the environment", () => {
    const stop = {
      id: 500,
      name: "stop_review",
      status: "success",
      environment: { name: "review/x", action: "stop" },
    };
    const payload = pipeline({ root: { builds: [...buildsWithoutEnvironment(), stop] } });
    expect(normalize(payload, "Pipeline Hook")).toEqual({
      ignored: true,
      reason: "gitlab pipeline has no deploy job",
    });
  });

  it("treats a job with an environment but no action as a deploy job", () => {
    const deploy = { id: 501, status: "running", environment: { name: "review/feature" } };
    const payload = pipeline({ root: { builds: [...buildsWithoutEnvironment(), deploy] } });
    const event = expectEvent(normalize(payload, "Pipeline Hook"));
    expect(event.environment).toEqual({ name: "review/feature", type: "PREVIEW" });
    expect(event.ids.job).toBe("501");
  });

  it("skips an environment without a name when choosing the deploy job", () => {
    const builds = [
      { id: 1, status: "success", environment: { action: "start" } },
      { id: 2, status: "success", environment: { name: "staging", action: "start" } },
    ];
    const event = expectEvent(normalize(pipeline({ root: { builds } }), "Pipeline Hook"));
    expect(event.environment.name).toBe("staging");
    expect(event.ids.job).toBe("2");
  });

  it("leaves change undefined for a pipeline without a merge request", () => {
    const payload = pipeline({ root: { merge_request: null } });
    expect(expectEvent(normalize(payload, "Pipeline Hook")).change).toBeUndefined();
  });

  it("reports the failed job's failure reason as the error of a failed pipeline", () => {
    const payload = pipeline({
      attributes: { status: "failed" },
      root: {
        builds: [
          {
            id: 1,
            name: "deploy",
            status: "failed",
            failure_reason: "script_failure",
            environment: { name: "production" },
          },
        ],
      },
    });
    expect(expectEvent(normalize(payload, "Pipeline Hook")).error).toBe(
      'job "deploy" failed: script_failure',
    );
  });

  it("falls back to commit.id when the pipeline has no sha", () => {
    const payload = pipeline({ attributes: { sha: undefined } });
    expect(expectEvent(normalize(payload, "Pipeline Hook")).commit?.sha).toBe(
      "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
    );
  });
});

/** The fixture's merge request hook (as captured: action `open`) with another action. */
function mergeRequest(attributes: Json = {}): Json {
  const payload = fixture("merge_request.json");
  Object.assign(obj(payload.object_attributes), attributes);
  return payload;
}

describe("normalizeGitlab: Merge Request Hook", () => {
  it.each([
    ["close", "closed"],
    ["merge", "merged"],
  ])("turns action %s into change.closed for the merge request", (action, state) => {
    const event = expectEvent(normalize(mergeRequest({ action, state }), "Merge Request Hook"));
    expect(event).toEqual({
      schemaVersion: 1,
      kind: "change.closed",
      source: "gitlab",
      sourceEvent: "Merge Request Hook",
      project: {
        name: "Gitlab Test",
        id: "1",
        repository: {
          host: "gitlab",
          origin: "http://example.com",
          fullPath: "gitlabhq/gitlab-test",
          id: 1,
          url: "http://example.com/gitlabhq/gitlab-test",
        },
      },
      environment: { name: "-", type: "PREVIEW" },
      commit: {
        sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        url: "http://example.com/awesome_space/awesome_project/commits/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      },
      change: { number: 1, url: "http://example.com/diaspora/merge_requests/1" },
      urls: {},
      actor: "user1",
      occurredAt: "2013-12-03T17:23:34.000Z",
      ids: { mergeRequest: "99" },
    });
  });

  it("reads the body without the header by its object_kind", () => {
    const event = expectEvent(normalize(mergeRequest({ action: "merge" })));
    expect(event.kind).toBe("change.closed");
    expect(event.change?.number).toBe(1);
  });

  it("reads GitLab's space-separated timestamps and goes without a last commit", () => {
    const event = expectEvent(
      normalize(
        mergeRequest({
          action: "close",
          updated_at: "2013-12-03 17:23:34 UTC",
          last_commit: undefined,
        }),
        "Merge Request Hook",
      ),
    );
    expect(event.occurredAt).toBe("2013-12-03T17:23:34.000Z");
    expect(event.commit).toBeUndefined();
  });

  it.each(["open", "update", "reopen", "approved", "unapproved"])(
    "ignores action %s, naming it",
    (action) => {
      expect(normalize(mergeRequest({ action }), "Merge Request Hook")).toEqual({
        ignored: true,
        reason: `gitlab merge request action "${action}" is not handled`,
      });
    },
  );

  it("rejects a closing hook without the merge request's iid as malformed", () => {
    const payload = mergeRequest({ action: "close", iid: undefined });
    expect(() => normalize(payload, "Merge Request Hook")).toThrow(MalformedEventError);
  });
});

describe("normalizeGitlab: events that are not deploys", () => {
  it("ignores a Note Hook, naming the event", () => {
    expect(normalize(fixture("note_merge_request.json"), "Note Hook")).toEqual({
      ignored: true,
      reason: 'gitlab event "Note Hook" is not a deploy event',
    });
  });

  it("ignores the captured merge request hook: it was opened, not closed", () => {
    expect(normalize(fixture("merge_request.json"), "Merge Request Hook")).toEqual({
      ignored: true,
      reason: 'gitlab merge request action "open" is not handled',
    });
  });

  it.each(["Push Hook", "Job Hook", "Tag Push Hook"])("ignores a %s", (event) => {
    expect(normalize({ object_kind: "push" }, event)).toEqual({
      ignored: true,
      reason: `gitlab event "${event}" is not a deploy event`,
    });
  });
});

describe("normalizeGitlab: malformed input", () => {
  const withoutKey = (name: string, key: string) => {
    const payload = fixture(name);
    delete payload[key];
    return payload;
  };

  it.each<[string, unknown, string | undefined, RegExp]>([
    ["null", null, "Deployment Hook", /gitlab payload must be a JSON object, got null/],
    ["an array", [fixture("deployment.json")], "Deployment Hook", /got array/],
    ["a string", "object_kind=deployment", "Push Hook", /got string/],
    [
      "an object without event name",
      { foo: 1 },
      undefined,
      /neither x-gitlab-event nor object_kind/,
    ],
    [
      "a deployment without project",
      withoutKey("deployment.json", "project"),
      "Deployment Hook",
      /project must be an object/,
    ],
    [
      "a deployment without status",
      withoutKey("deployment.json", "status"),
      "Deployment Hook",
      /status must be a non-empty string/,
    ],
    [
      "a deployment without environment",
      withoutKey("deployment.json", "environment"),
      "Deployment Hook",
      /environment/,
    ],
    [
      "a deployment with a bad time",
      deployment({ status_changed_at: "28/04/2021" }),
      "Deployment Hook",
      /status_changed_at is not a recognised timestamp/,
    ],
    [
      "a deployment with a bad web_url",
      deployment({ project: { ...obj(fixture("deployment.json").project), web_url: "::" } }),
      "Deployment Hook",
      /project\.web_url/,
    ],
    [
      "a pipeline without attributes",
      withoutKey("pipeline.json", "object_attributes"),
      "Pipeline Hook",
      /object_attributes must be an object/,
    ],
    [
      "a pipeline with builds as an object",
      pipeline({ root: { builds: {} } }),
      "Pipeline Hook",
      /builds must be an array/,
    ],
    [
      "a pipeline without sha",
      pipeline({ attributes: { sha: null }, root: { commit: null } }),
      "Pipeline Hook",
      /sha/,
    ],
  ])("rejects %s with MalformedEventError", (_, payload, event, message) => {
    expect(() => normalize(payload, event)).toThrow(MalformedEventError);
    expect(() => normalize(payload, event)).toThrow(message);
  });

  it("names the event in the message", () => {
    expect(() => normalize(withoutKey("deployment.json", "project"), "Deployment Hook")).toThrow(
      /^gitlab "Deployment Hook" event: project must be an object, got undefined$/,
    );
  });
});
