import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../src/events/deploy-event.js";
import { type Route, routeEvent } from "../../src/routing/route.js";

/** A production `deploy.succeeded` of `web-shop` from `acme/web-shop` on `main`, unless told. */
function event(overrides: {
  kind?: DeployEvent["kind"];
  environment?: DeployEvent["environment"]["type"];
  project?: string;
  fullPath?: string | null;
  ref?: string | null;
}): DeployEvent {
  const fullPath = overrides.fullPath === undefined ? "acme/web-shop" : overrides.fullPath;
  const ref = overrides.ref === undefined ? "main" : overrides.ref;
  return {
    schemaVersion: 1,
    kind: overrides.kind ?? "deploy.succeeded",
    source: "github",
    sourceEvent: "deployment_status",
    project: {
      name: overrides.project ?? "web-shop",
      ...(fullPath === null
        ? {}
        : {
            repository: { host: "github", origin: "https://github.com", fullPath },
          }),
    },
    environment: {
      name: (overrides.environment ?? "PRODUCTION").toLowerCase(),
      type: overrides.environment ?? "PRODUCTION",
    },
    ...(ref === null ? {} : { commit: { sha: "a".repeat(40), ref } }),
    urls: {},
    occurredAt: "2025-01-01T00:00:00Z",
    ids: {},
  };
}

/** A Netlify form submission: environment PRODUCTION, no branch, no repository. */
function formEvent(): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "form.submitted",
    source: "netlify",
    sourceEvent: "submission_created",
    project: { name: "web-shop" },
    environment: { name: "production", type: "PRODUCTION" },
    urls: {},
    occurredAt: "2025-01-01T00:00:00Z",
    ids: {},
    form: { name: "contact", fields: { email: "a@example.com" } },
  };
}

const to = (target: string, filters: Omit<Route, "notify"> = { events: "all" }): Route => ({
  ...filters,
  notify: [target],
});

describe("routeEvent", () => {
  it.each<[string, DeployEvent, Route[], string[]]>([
    // No routes, no filters
    ["no routes", event({}), [], []],
    ["a route without filters", event({}), [to("t")], ["t"]],
    // events
    ['events "all"', event({ kind: "deploy.locked" }), [to("t", { events: "all" })], ["t"]],
    [
      "events listing the kind",
      event({ kind: "deploy.failed" }),
      [to("t", { events: ["deploy.succeeded", "deploy.failed"] })],
      ["t"],
    ],
    [
      "events not listing the kind",
      event({ kind: "deploy.started" }),
      [to("t", { events: ["deploy.succeeded", "deploy.failed"] })],
      [],
    ],
    // environments
    [
      "environments listing the type",
      event({ environment: "STAGING" }),
      [to("t", { events: "all", environments: ["STAGING", "PRODUCTION"] })],
      ["t"],
    ],
    [
      "environments not listing the type",
      event({ environment: "PREVIEW" }),
      [to("t", { events: "all", environments: ["PRODUCTION"] })],
      [],
    ],
    // projects
    ["project name, exact", event({}), [to("t", { events: "all", projects: ["web-shop"] })], ["t"]],
    [
      "project wildcard, case-insensitive",
      event({ project: "Web-Shop" }),
      [to("t", { events: "all", projects: ["WEB*"] })],
      ["t"],
    ],
    [
      "project pattern matching neither name nor full path",
      event({}),
      [to("t", { events: "all", projects: ["api*"] })],
      [],
    ],
    [
      "repository full path, wildcard across /",
      event({ project: "site-1234", fullPath: "acme/platform/web" }),
      [to("t", { events: "all", projects: ["acme/*"] })],
      ["t"],
    ],
    [
      "repository full path, exact and case-insensitive",
      event({ project: "site-1234", fullPath: "Acme/Web" }),
      [to("t", { events: "all", projects: ["acme/web"] })],
      ["t"],
    ],
    [
      "project without repository: only the name is matched",
      event({ project: "site-1234", fullPath: null }),
      [to("t", { events: "all", projects: ["acme/*"] })],
      [],
    ],
    [
      "any of several project patterns",
      event({ project: "api" }),
      [to("t", { events: "all", projects: ["web*", "api"] })],
      ["t"],
    ],
    [
      "regex metacharacters are literal",
      event({ project: "webXshop", fullPath: null }),
      [to("t", { events: "all", projects: ["web.shop"] })],
      [],
    ],
    // branches (GitLab branch-filter semantics)
    [
      "branch exact",
      event({ ref: "main" }),
      [to("t", { events: "all", branches: ["main"] })],
      ["t"],
    ],
    [
      "branch exact is not a prefix",
      event({ ref: "main-old" }),
      [to("t", { events: "all", branches: ["main"] })],
      [],
    ],
    [
      "branch is case-sensitive",
      event({ ref: "Main" }),
      [to("t", { events: "all", branches: ["main"] })],
      [],
    ],
    [
      "release/* matches release/1.2",
      event({ ref: "release/1.2" }),
      [to("t", { events: "all", branches: ["release/*"] })],
      ["t"],
    ],
    [
      "release/* matches release/1.2/x (* crosses /)",
      event({ ref: "release/1.2/x" }),
      [to("t", { events: "all", branches: ["release/*"] })],
      ["t"],
    ],
    [
      "release/* does not match release itself",
      event({ ref: "release" }),
      [to("t", { events: "all", branches: ["release/*"] })],
      [],
    ],
    [
      "release/* is case-sensitive",
      event({ ref: "Release/1.2" }),
      [to("t", { events: "all", branches: ["release/*"] })],
      [],
    ],
    [
      "* alone matches any branch",
      event({ ref: "feature/a/b" }),
      [to("t", { events: "all", branches: ["*"] })],
      ["t"],
    ],
    [
      "* in the middle",
      event({ ref: "feature/JIRA-1-fix" }),
      [to("t", { events: "all", branches: ["feature/*-fix"] })],
      ["t"],
    ],
    [
      "a full refs/heads/ ref is matched by its branch name",
      event({ ref: "refs/heads/main" }),
      [to("t", { events: "all", branches: ["main"] })],
      ["t"],
    ],
    [
      "no branch never matches a branch filter, not even *",
      event({ ref: null }),
      [to("t", { events: "all", branches: ["*"] })],
      [],
    ],
    [
      "no branch matches a route without a branch filter",
      event({ ref: null }),
      [to("t", { events: "all" })],
      ["t"],
    ],
    // combinations
    [
      "every filter matching",
      event({ kind: "deploy.failed", ref: "release/2" }),
      [
        to("t", {
          events: ["deploy.failed"],
          environments: ["PRODUCTION"],
          projects: ["web*"],
          branches: ["release/*"],
        }),
      ],
      ["t"],
    ],
    [
      "every filter but one matching",
      event({ kind: "deploy.failed", ref: "main" }),
      [
        to("t", {
          events: ["deploy.failed"],
          environments: ["PRODUCTION"],
          projects: ["web*"],
          branches: ["release/*"],
        }),
      ],
      [],
    ],
    [
      "kind matches, environment does not",
      event({ kind: "deploy.failed", environment: "STAGING" }),
      [to("t", { events: ["deploy.failed"], environments: ["PRODUCTION"] })],
      [],
    ],
    // several routes
    [
      "targets of every matching route, deduplicated, in first-match order",
      event({ kind: "deploy.failed" }),
      [
        { events: ["deploy.failed"], notify: ["slack", "mail"] },
        { events: ["deploy.succeeded"], notify: ["skipped"] },
        { events: "all", notify: ["hook", "slack"] },
        { events: "all", environments: ["PRODUCTION"], notify: ["mail", "pager"] },
      ],
      ["slack", "mail", "hook", "pager"],
    ],
    [
      "only non-matching routes",
      event({ environment: "PREVIEW" }),
      [
        to("a", { events: "all", environments: ["PRODUCTION"] }),
        to("b", { events: ["deploy.failed"] }),
      ],
      [],
    ],
    // form submissions: environment PRODUCTION, no branch
    ["form event, events all", formEvent(), [to("t")], ["t"]],
    [
      "form event, listed kind and PRODUCTION",
      formEvent(),
      [to("t", { events: ["form.submitted"], environments: ["PRODUCTION"] })],
      ["t"],
    ],
    ["form event, deploy kinds only", formEvent(), [to("t", { events: ["deploy.succeeded"] })], []],
    [
      "form event, STAGING only",
      formEvent(),
      [to("t", { events: "all", environments: ["STAGING"] })],
      [],
    ],
    [
      "form event never matches a branch filter",
      formEvent(),
      [to("t", { events: "all", branches: ["*"] })],
      [],
    ],
    [
      "form event matches by project name",
      formEvent(),
      [to("t", { events: "all", projects: ["WEB-*"] })],
      ["t"],
    ],
  ])("%s", (_name, deployEvent, routes, expected) => {
    expect(routeEvent(deployEvent, routes)).toEqual(expected);
  });

  it("gives the same answer when the same routes are used again (compiled once)", () => {
    const routes: Route[] = [to("t", { events: "all", branches: ["release/*"] })];
    expect(routeEvent(event({ ref: "release/1" }), routes)).toEqual(["t"]);
    expect(routeEvent(event({ ref: "main" }), routes)).toEqual([]);
    expect(routeEvent(event({ ref: "release/2" }), routes)).toEqual(["t"]);
  });
});
