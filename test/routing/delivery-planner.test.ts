import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { DeployEvent } from "../../src/events/deploy-event.js";
import { defaultSubject, defineNotifier } from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";
import { createDeliveryPlanner } from "../../src/routing/delivery-planner.js";

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

describe("the delivery planner", () => {
  const plain = defineNotifier({
    kind: "plain",
    settings: z.object({}),
    async deliver() {
      return { outcome: "succeeded" as const };
    },
  });
  const picky = defineNotifier({
    ...plain,
    kind: "picky",
    accepts: (e: DeployEvent) => e.project.repository !== undefined,
    subject: (e: DeployEvent) => `picky:${e.project.name}`,
  });
  const registry = new NotifierRegistry().register(plain).register(picky);
  const targets = new Map([
    ["a", { name: "a", kind: "plain", settings: {} }],
    ["b", { name: "b", kind: "picky", settings: {} }],
  ]);

  it("plans one delivery per routed target, with the notifier's subject or the default", () => {
    const plan = createDeliveryPlanner({
      routes: [{ events: "all", notify: ["a", "b", "missing"] }],
      targets,
      registry,
    });
    const repoEvent: DeployEvent = {
      ...event,
      project: {
        name: "web",
        repository: { host: "github", origin: "https://github.com", fullPath: "o/r" },
      },
    };
    expect(plan(repoEvent)).toEqual([
      { target: "a", kind: "plain", subject: defaultSubject(repoEvent) },
      { target: "b", kind: "picky", subject: "picky:web" },
    ]);
  });

  it("writes no delivery for an event the output does not accept", () => {
    const plan = createDeliveryPlanner({
      routes: [{ events: "all", notify: ["a", "b"] }],
      targets,
      registry,
    });
    expect(plan(event).map((p) => p.target)).toEqual(["a"]);
  });
});
