import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { DeployEvent } from "../../src/events/deploy-event.js";
import { BUILD_HOOK_KIND } from "../../src/notifiers/kit/build-hook.js";
import { defaultSubject, defineNotifier } from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";
import { createPlanner } from "../../src/routing/delivery-planner.js";
import { buildHookNotifier } from "../../src/services/build-hooks/build-hook-notifier.js";

const succeed = async () => ({ outcome: "succeeded" as const });

const buildRequest: DeployEvent = {
  schemaVersion: 1,
  kind: "build.requested",
  source: "shipcast",
  sourceEvent: "build_hook",
  project: { name: "web" },
  environment: { name: "production", type: "PRODUCTION" },
  commit: { ref: "main" },
  urls: {},
  occurredAt: "2026-11-30T03:00:00.000Z",
  ids: { trigger: "evt_01", buildHook: "bhk_nightly" },
  build: {
    hook: { id: "bhk_nightly", title: "Nightly" },
    ref: "main",
    target: { type: "url", origin: "https://ci.example.com" },
  },
};

const slack = defineNotifier<unknown>({ kind: "slack", settings: z.object({}), deliver: succeed });
const targets = new Map([["chat", { name: "chat", kind: "slack", settings: {} }]]);

function registryWithHooks(): NotifierRegistry {
  return new NotifierRegistry().register(slack).register(
    buildHookNotifier({
      load: async () => undefined,
      gitlab: succeed,
      url: succeed,
    }),
  );
}

describe("planning a build request", () => {
  it("starts the hook's build and sends the routes their copy, each trigger its own subject", () => {
    const { plan, targets: directory } = createPlanner({
      routes: [{ events: ["build.requested"], notify: ["chat"] }],
      targets,
      registry: registryWithHooks(),
    });
    expect(plan(buildRequest)).toEqual([
      { target: "bhk_nightly", kind: BUILD_HOOK_KIND, subject: "build-hook|evt_01" },
      { target: "chat", kind: "slack", subject: defaultSubject(buildRequest) },
    ]);
    // The delivery engine finds the hook's target by its id.
    expect(directory.get("bhk_nightly")).toEqual({
      name: "bhk_nightly",
      kind: BUILD_HOOK_KIND,
      settings: { hook: "bhk_nightly" },
    });
  });

  it("starts the build even when no route wants the event", () => {
    const { plan } = createPlanner({
      routes: [{ events: ["deploy.failed"], notify: ["chat"] }],
      targets,
      registry: registryWithHooks(),
    });
    expect(plan(buildRequest).map((d) => d.target)).toEqual(["bhk_nightly"]);
  });

  it("plans no build for other events, nor without the build-hook notifier", () => {
    const { plan } = createPlanner({
      routes: [{ events: "all", notify: ["chat"] }],
      targets,
      registry: registryWithHooks(),
    });
    const { build: _build, ...plain } = buildRequest;
    expect(plan({ ...plain, kind: "deploy.succeeded" }).map((d) => d.target)).toEqual(["chat"]);
    const without = createPlanner({
      routes: [{ events: "all", notify: ["chat"] }],
      targets,
      registry: new NotifierRegistry().register(slack),
    });
    expect(without.plan(buildRequest).map((d) => d.target)).toEqual(["chat"]);
    expect(without.targets.get("bhk_nightly")).toBeUndefined();
  });
});
