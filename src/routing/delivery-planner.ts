import type { Route } from "../config/routing-file.js";
import type { DeployEvent } from "../events/deploy-event.js";
import { defaultSubject } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import { routeEvent } from "./route.js";

/** A named target as the delivery engine needs it: which notifier, with which settings. */
export interface ResolvedTarget {
  name: string;
  kind: string;
  settings: unknown;
}

/** Where targets are looked up by name: the routing file's, then the API's notifications. */
export interface TargetDirectory {
  get(name: string): ResolvedTarget | undefined;
}

/** One delivery to write for an event. */
export interface PlannedDelivery {
  target: string;
  kind: string;
  subject: string;
}

export type DeliveryPlanner = (event: DeployEvent) => PlannedDelivery[];

/**
 * Turns the routing decision (target names) into delivery rows to write: each with its
 * notifier kind and the subject that orders deliveries to that target.
 */
export function createDeliveryPlanner(options: {
  routes: Route[];
  /** Routes that change while running (the API's notifications), read for every event. */
  moreRoutes?: () => Route[];
  targets: TargetDirectory;
  registry: NotifierRegistry;
}): DeliveryPlanner {
  const { routes, moreRoutes, targets, registry } = options;
  return (event) => {
    const extra = moreRoutes?.() ?? [];
    const all = extra.length === 0 ? routes : [...routes, ...extra];
    return planTargets(event, routeEvent(event, all), targets, registry);
  };
}

/**
 * The deliveries to write for `names`: each existing target whose notifier accepts the event,
 * with the subject that orders its deliveries. Unknown names are left out.
 */
export function planTargets(
  event: DeployEvent,
  names: string[],
  targets: TargetDirectory,
  registry: NotifierRegistry,
): PlannedDelivery[] {
  return names.flatMap((name) => {
    const target = targets.get(name);
    if (!target) return [];
    const notifier = registry.get(target.kind);
    if (notifier?.accepts && !notifier.accepts(event)) return [];
    const subject = notifier?.subject?.(event) ?? defaultSubject(event);
    return [{ target: name, kind: target.kind, subject }];
  });
}
