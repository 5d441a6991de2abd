import { describe, expect, it } from "vitest";
import { deployEventSchema } from "../../../src/events/deploy-event-schema.js";
import { buildRequestedEvent } from "../../../src/services/build-hooks/build-hook-event.js";

const origins = { github: "https://github.com", gitlab: "https://gitlab.example.com" };
const now = new Date("2026-11-30T03:00:00.000Z");

function hook(target: Parameters<typeof buildRequestedEvent>[0]["hook"]["target"]) {
  return { id: "bhk_nightly000000000", title: "Nightly", target, project: null, environment: null };
}

describe("the build.requested event of a trigger", () => {
  it("names the GitHub repository, the ref and the workflow page, and passes the event schema", () => {
    const event = buildRequestedEvent({
      eventId: "evt_01M8P0AGZ0WFKKKV3YS01WZJJH",
      hook: hook({
        type: "github_workflow",
        repository: "acme/web",
        workflow: "deploy.yml",
        ref: "main",
        inputs: { environment: "production" },
      }),
      ref: "main",
      title: "Nightly build",
      now,
      origins,
    });
    expect(deployEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      kind: "build.requested",
      source: "shipcast",
      sourceEvent: "build_hook",
      project: {
        name: "web",
        repository: { host: "github", origin: "https://github.com", fullPath: "acme/web" },
      },
      environment: { name: "production", type: "PRODUCTION" },
      commit: { ref: "main", message: "Nightly build" },
      urls: { admin: "https://github.com/acme/web/actions/workflows/deploy.yml" },
      occurredAt: "2026-11-30T03:00:00.000Z",
      ids: { trigger: "evt_01M8P0AGZ0WFKKKV3YS01WZJJH", buildHook: "bhk_nightly000000000" },
      build: {
        hook: { id: "bhk_nightly000000000", title: "Nightly" },
        title: "Nightly build",
        ref: "main",
        target: { type: "github_workflow", repository: "acme/web", workflow: "deploy.yml" },
      },
    });
    // Inputs stay with the hook: the event goes to every route.
    expect(JSON.stringify(event)).not.toContain("inputs");
  });

  it("takes a GitLab project's path as its repository, and a numeric id as its name only", () => {
    const byPath = buildRequestedEvent({
      eventId: "evt_1",
      hook: hook({
        type: "gitlab_pipeline",
        project: "group/sub/web",
        ref: "release",
        variables: { DEPLOY: "1" },
        trigger_token: "glptt-0123456789abcdef",
      }),
      ref: "release",
      title: undefined,
      now,
      origins,
    });
    expect(byPath.project).toEqual({
      name: "web",
      repository: {
        host: "gitlab",
        origin: "https://gitlab.example.com",
        fullPath: "group/sub/web",
        url: "https://gitlab.example.com/group/sub/web",
      },
    });
    expect(byPath.urls.admin).toBe("https://gitlab.example.com/group/sub/web/-/pipelines");
    expect(JSON.stringify(byPath)).not.toContain("glptt-");
    expect(JSON.stringify(byPath)).not.toContain("DEPLOY");

    const byId = buildRequestedEvent({
      eventId: "evt_2",
      hook: hook({ type: "gitlab_pipeline", project: "4242", ref: "main", variables: {} }),
      ref: "main",
      title: undefined,
      now,
      origins,
    });
    expect(byId.project).toEqual({ name: "4242", id: "4242" });
    expect(deployEventSchema.safeParse(byId).success).toBe(true);
  });

  it("shows only the origin of a URL target, never its credentials, path or query", () => {
    const event = buildRequestedEvent({
      eventId: "evt_3",
      hook: hook({
        type: "url",
        url: "https://ci:p4ssw0rd@ci.example.com:8443/job/web/build?token=jenkins-token",
        headers: {},
        ssl_verification: true,
      }),
      ref: undefined,
      title: undefined,
      now,
      origins,
    });
    expect(event.project.name).toBe("ci.example.com");
    expect(event.build?.target).toEqual({ type: "url", origin: "https://ci.example.com:8443" });
    expect(event.commit).toBeUndefined();
    const text = JSON.stringify(event);
    for (const secret of ["p4ssw0rd", "jenkins-token", "/job/web"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("uses the hook's own project name and environment when it has them", () => {
    const event = buildRequestedEvent({
      eventId: "evt_4",
      hook: {
        ...hook({
          type: "url",
          url: "https://ci.example.com/",
          headers: {},
          ssl_verification: true,
        }),
        project: "website",
        environment: { name: "staging", type: "STAGING" },
      },
      ref: "feature/x",
      title: undefined,
      now,
      origins,
    });
    expect(event.project.name).toBe("website");
    expect(event.environment).toEqual({ name: "staging", type: "STAGING" });
    expect(event.commit).toEqual({ ref: "feature/x" });
  });
});
