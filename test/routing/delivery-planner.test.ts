import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { DeployEvent, EventKind } from "../../src/events/deploy-event.js";
import { REPOSITORY_NOTIFY_KIND } from "../../src/notifiers/github/repository-notify.js";
import {
  defaultSubject,
  defineNotifier,
  hasCommentOn,
  hasCommitOn,
  type Notifier,
} from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";
import { createPlanner, type PlannerOptions } from "../../src/routing/delivery-planner.js";

const event: DeployEvent = {
  schemaVersion: 1,
  kind: "deploy.succeeded",
  source: "netlify",
  sourceEvent: "deploy_created",
  project: { name: "web" },
  environment: { name: "production", type: "PRODUCTION" },
  urls: {},
  occurredAt: "2026-01-01T00:00:00.000Z",
  ids: {},
};

/** The same deploy, of a GitHub repository's commit. */
const githubEvent: DeployEvent = {
  ...event,
  project: {
    name: "web",
    repository: { host: "github", origin: "https://github.com", fullPath: "o/r" },
  },
  commit: { sha: "a".repeat(40), ref: "main" },
};

/** A closed pull request; the kind may not be in the event model yet. */
const closedEvent: DeployEvent = {
  ...githubEvent,
  kind: "change.closed" as EventKind,
  change: { number: 7, url: "https://github.com/o/r/pull/7" },
};

function fake(kind: string, extra: Partial<Notifier> = {}): Notifier {
  return defineNotifier<unknown>({
    kind,
    settings: z.object({}),
    async deliver() {
      return { outcome: "succeeded" };
    },
    ...extra,
  });
}

const plain = fake("plain");
const picky = fake("picky", {
  accepts: (e) => e.project.repository !== undefined,
  subject: (e) => `picky:${e.project.name}`,
});

describe("the delivery planner", () => {
  const registry = new NotifierRegistry().register(plain).register(picky);
  const targets = new Map([
    ["a", { name: "a", kind: "plain", settings: {} }],
    ["b", { name: "b", kind: "picky", settings: {} }],
  ]);

  it("plans one delivery per routed target, with the notifier's subject or the default", () => {
    const { plan } = createPlanner({
      routes: [{ events: "all", notify: ["a", "b", "missing"] }],
      targets,
      registry,
    });
    expect(plan(githubEvent)).toEqual([
      { target: "a", kind: "plain", subject: defaultSubject(githubEvent) },
      { target: "b", kind: "picky", subject: "picky:web" },
    ]);
  });

  it("writes no delivery for an event the output does not accept", () => {
    const { plan } = createPlanner({
      routes: [{ events: "all", notify: ["a", "b"] }],
      targets,
      registry,
    });
    expect(plan(event).map((p) => p.target)).toEqual(["a"]);
  });

  it("routes with the routes that exist when the event is planned (the API's notifications)", () => {
    let more = [{ events: "all" as const, notify: ["b"] }];
    const { plan } = createPlanner({ routes: [], moreRoutes: () => more, targets, registry });
    expect(plan(githubEvent).map((p) => p.target)).toEqual(["b"]);
    more = [];
    expect(plan(githubEvent)).toEqual([]);
  });

  it("plans health alerts to the alerts targets only", () => {
    const { planAlert } = createPlanner({
      routes: [{ events: "all", notify: ["b"] }],
      targets,
      registry,
      alerts: ["a"],
    });
    const alert: DeployEvent = { ...event, kind: "notification.paused", source: "shipcast" };
    expect(planAlert(alert)).toEqual([
      { target: "a", kind: "plain", subject: defaultSubject(alert) },
    ]);
  });
});

describe("the planner and a repository's notify", () => {
  const reader = fake(REPOSITORY_NOTIFY_KIND, { accepts: hasCommitOn("github") });
  const registry = new NotifierRegistry().register(plain).register(picky).register(reader);
  const targets = new Map([
    ["team-chat", { name: "team-chat", kind: "plain", settings: {} }],
    ["other-team", { name: "other-team", kind: "picky", settings: {} }],
    ["routed", { name: "routed", kind: "plain", settings: {} }],
  ]);
  const options: PlannerOptions = {
    routes: [{ events: "all", projects: ["web"], notify: ["routed"] }],
    targets,
    registry,
    repositoryTargets: ["team-chat", "routed", "gone"],
  };

  it("plans the reading of the repository's file for an event with a GitHub repository and a commit, with no default output on", () => {
    const { plan, targets: directory } = createPlanner(options);
    expect(plan(githubEvent)).toEqual([
      { target: "routed", kind: "plain", subject: defaultSubject(githubEvent) },
      {
        target: REPOSITORY_NOTIFY_KIND,
        kind: REPOSITORY_NOTIFY_KIND,
        subject: defaultSubject(githubEvent),
      },
    ]);
    expect(plan(event).map((p) => p.target)).toEqual(["routed"]);
    // The delivery engine finds the internal target; other names as the directory has them.
    expect(directory.get(REPOSITORY_NOTIFY_KIND)?.kind).toBe(REPOSITORY_NOTIFY_KIND);
    expect(directory.get("team-chat")?.kind).toBe("plain");
  });

  it("plans no reading when the GitHub App is not configured", () => {
    const { plan, targets: directory } = createPlanner({
      ...options,
      registry: new NotifierRegistry().register(plain).register(picky),
    });
    expect(plan(githubEvent).map((p) => p.target)).toEqual(["routed"]);
    expect(directory.get(REPOSITORY_NOTIFY_KIND)).toBeUndefined();
  });

  it("plans the allowed names, refuses the others with the reason, and ignores default outputs and names a route already serves", () => {
    const { planFollowUps } = createPlanner(options);
    const plan = planFollowUps(githubEvent, [
      "team-chat",
      "other-team",
      "github-comment",
      "routed",
      "gone",
      "nowhere",
      "team-chat",
    ]);
    expect(plan.planned).toEqual([
      { target: "team-chat", kind: "plain", subject: defaultSubject(githubEvent) },
    ]);
    expect(plan.skipped).toEqual([
      {
        target: "other-team",
        kind: "picky",
        subject: "picky:web",
        reason: 'target "other-team" is not in repository_targets of shipcast.yml',
      },
      {
        target: "nowhere",
        kind: "unknown",
        subject: defaultSubject(githubEvent),
        reason: 'target "nowhere" is not in repository_targets of shipcast.yml',
      },
    ]);
  });

  it("refuses every name when repository_targets is empty (the default)", () => {
    const { planFollowUps } = createPlanner({ ...options, repositoryTargets: undefined });
    const plan = planFollowUps(githubEvent, ["team-chat"]);
    expect(plan.planned).toEqual([]);
    expect(plan.skipped.map((s) => s.target)).toEqual(["team-chat"]);
  });
});

describe("the planner and a closed pull or merge request", () => {
  const githubComment = fake("github-comment", { accepts: hasCommentOn("github") });
  const gitlabComment = fake("gitlab-comment", { accepts: hasCommentOn("gitlab") });
  const githubStatus = fake("github-status", { accepts: hasCommitOn("github") });
  const reader = fake(REPOSITORY_NOTIFY_KIND, { accepts: hasCommitOn("github") });
  const registry = new NotifierRegistry()
    .register(plain)
    .register(githubComment)
    .register(gitlabComment)
    .register(githubStatus)
    .register(reader);
  const defaults = ["github-status", "github-comment", "gitlab-comment"];
  const targets = new Map([
    ["chat", { name: "chat", kind: "plain", settings: {} }],
    ["pr-comment", { name: "pr-comment", kind: "github-comment", settings: {} }],
    ...defaults.map((kind) => [kind, { name: kind, kind, settings: {} }] as const),
  ]);
  const options: PlannerOptions = {
    routes: [
      { events: "all", notify: ["chat", "pr-comment"] },
      ...defaults.map((kind) => ({ events: "all" as const, notify: [kind] })),
    ],
    moreRoutes: () => [{ events: "all", notify: ["chat"] }],
    targets,
    registry,
    defaultOutputs: defaults,
    repositoryTargets: ["chat"],
  };

  it("goes only to the default comment outputs that accept it", () => {
    const { plan } = createPlanner(options);
    expect(plan(closedEvent)).toEqual([
      { target: "github-comment", kind: "github-comment", subject: defaultSubject(closedEvent) },
    ]);
    // A deploy of the same change goes everywhere it is routed.
    expect(plan(githubEvent).map((p) => p.target)).toEqual([
      "chat",
      "pr-comment",
      "github-status",
      "github-comment",
      REPOSITORY_NOTIFY_KIND,
    ]);
  });

  it("goes nowhere when the comment outputs are off, whatever routes say", () => {
    const { plan } = createPlanner({ ...options, defaultOutputs: ["github-status"] });
    expect(plan(closedEvent)).toEqual([]);
  });

  it("is never planned to a repository's notify targets", () => {
    const { planFollowUps } = createPlanner(options);
    expect(planFollowUps(closedEvent, ["chat", "other"])).toEqual({ planned: [], skipped: [] });
  });
});
