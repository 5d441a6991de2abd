/**
 * The planner's part for build hooks: a `build.requested` event gets one delivery to its hook's
 * own target (the delivery that starts the build), whatever the routes say, and a hook's id
 * resolves to that target for the delivery engine. Without a `build-hook` notifier registered,
 * nothing here plans anything.
 */
import type { PlannedDelivery, ResolvedTarget } from "../delivery/delivery-plan.js";
import type { DeployEvent } from "../events/deploy-event.js";
import {
  BUILD_HOOK_ID_PREFIX,
  BUILD_HOOK_KIND,
  type BuildHookSettings,
} from "../notifiers/kit/build-hook.js";
import { defaultSubject } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";

/** The target a build hook's id names, when the `build-hook` notifier is registered. */
export function buildHookTarget(
  name: string,
  registry: NotifierRegistry,
): ResolvedTarget | undefined {
  if (!name.startsWith(BUILD_HOOK_ID_PREFIX) || !registry.get(BUILD_HOOK_KIND)) return undefined;
  const settings: BuildHookSettings = { hook: name };
  return { name, kind: BUILD_HOOK_KIND, settings };
}

/** The delivery that starts the build of a `build.requested` event; none for other events. */
export function buildHookDeliveries(
  event: DeployEvent,
  registry: NotifierRegistry,
): PlannedDelivery[] {
  const id = event.build?.hook.id;
  if (event.kind !== "build.requested" || id === undefined) return [];
  const notifier = registry.get(BUILD_HOOK_KIND);
  if (!notifier || !buildHookTarget(id, registry)) return [];
  if (notifier.accepts && !notifier.accepts(event)) return [];
  return [
    {
      target: id,
      kind: BUILD_HOOK_KIND,
      subject: notifier.subject?.(event) ?? defaultSubject(event),
    },
  ];
}
