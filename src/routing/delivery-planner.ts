/**
 * The one planner: every delivery Shipcast writes is decided here.
 *
 * - At ingest, {@link RoutingPlanner.plan}: the routes (the routing file's, the default outputs'
 *   and the API notifications'), and for an event with a GitHub repository and a commit, one
 *   internal delivery that reads the repository's `.github/shipcast.yml` (`notify`).
 * - When that delivery answers the names the repository lists, {@link RoutingPlanner.planFollowUps}:
 *   each name the routing file allows under `repository_targets`; every other name is recorded
 *   as a skipped delivery with the reason.
 * - When a notification's delivery health changes, {@link RoutingPlanner.planAlert}: the
 *   routing file's `alerts` targets.
 *
 * A closed pull/merge request (`change.closed`) only closes the sticky comments: it goes to the
 * default comment outputs and nowhere else. A build request (`build.requested`) also goes to its
 * build hook's own target, which starts the build (`build-hook-plan.ts`).
 */
import type {
  FollowUpPlan,
  FollowUpPlanner,
  PlannedDelivery,
  ResolvedTarget,
  SkippedDelivery,
  TargetDirectory,
} from "../delivery/delivery-plan.js";
import type { DeployEvent } from "../events/deploy-event.js";
import { REPOSITORY_NOTIFY_KIND } from "../notifiers/github/repository-notify.js";
import { DEFAULT_OUTPUT_KINDS } from "../notifiers/kit/default-outputs.js";
import { defaultSubject } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import { buildHookDeliveries, buildHookTarget } from "./build-hook-plan.js";
import { type Route, routeEvent } from "./route.js";

export type {
  PlannedDelivery,
  ResolvedTarget,
  TargetDirectory,
} from "../delivery/delivery-plan.js";

/** The deliveries to write for an event at ingest. */
export type DeliveryPlanner = (event: DeployEvent) => PlannedDelivery[];

/**
 * The kind of a closed pull/merge request. Compared as a plain string: the event model may not
 * list it (yet), and the rule must hold as soon as a source emits it.
 */
export const CHANGE_CLOSED_KIND: string = "change.closed";

/** The default outputs that keep a sticky comment, the only ones told of a closed change. */
const COMMENT_OUTPUT_KINDS: readonly string[] = ["github-comment", "gitlab-comment"];

/** Options of {@link createPlanner}. */
export interface PlannerOptions {
  /** The routing file's routes, the default outputs' included. */
  routes: Route[];
  /** Routes that change while running (the API's notifications), read for every event. */
  moreRoutes?: () => Route[];
  /** Where target names are resolved: the routing file's, then the API's notifications. */
  targets: TargetDirectory;
  registry: NotifierRegistry;
  /** Names of the default outputs that are on (`defaults:` not `false`). Default: none. */
  defaultOutputs?: readonly string[];
  /** Targets a repository's `notify` may name (`repository_targets:`). Default: none. */
  repositoryTargets?: readonly string[];
  /** Targets told when a notification's delivery health changes (`alerts:`). Default: none. */
  alerts?: readonly string[];
}

/** The planner, in the pieces each part of Shipcast is handed. */
export interface RoutingPlanner {
  /** The deliveries of an event at ingest (given to the event worker). */
  plan: DeliveryPlanner;
  /** The deliveries of a target-health alert event (given to the notifications' health). */
  planAlert: (event: DeployEvent) => PlannedDelivery[];
  /** The deliveries of the names a repository's `notify` lists (given to the delivery engine). */
  planFollowUps: FollowUpPlanner;
  /**
   * The directory the delivery engine resolves targets in: `targets`, and the planner's own
   * internal target (the repository `notify` reader).
   */
  targets: TargetDirectory;
}

/** Creates the planner. */
export function createPlanner(options: PlannerOptions): RoutingPlanner {
  const { routes, moreRoutes, registry } = options;
  const defaultOutputs = options.defaultOutputs ?? [];
  const allowed = new Set(options.repositoryTargets ?? []);
  const alerts = [...(options.alerts ?? [])];
  const notifyReader: ResolvedTarget | undefined = registry.get(REPOSITORY_NOTIFY_KIND)
    ? { name: REPOSITORY_NOTIFY_KIND, kind: REPOSITORY_NOTIFY_KIND, settings: {} }
    : undefined;
  const targets: TargetDirectory = {
    get: (name) =>
      name === REPOSITORY_NOTIFY_KIND && notifyReader
        ? notifyReader
        : (buildHookTarget(name, registry) ?? options.targets.get(name)),
  };
  const allRoutes = (): readonly Route[] => {
    const extra = moreRoutes?.() ?? [];
    return extra.length === 0 ? routes : [...routes, ...extra];
  };

  const plan: DeliveryPlanner = (event) => {
    if (event.kind === CHANGE_CLOSED_KIND) {
      // Closing the comment concerns the whole comment, so the defaults' filters (which say
      // which deploys appear in it) do not apply.
      const comments = defaultOutputs.filter((name) => {
        const kind = targets.get(name)?.kind;
        return kind !== undefined && COMMENT_OUTPUT_KINDS.includes(kind);
      });
      return planTargets(event, comments, targets, registry);
    }
    const names = routeEvent(event, allRoutes());
    if (notifyReader) names.push(notifyReader.name);
    const routed = planTargets(event, names, targets, registry);
    const build = buildHookDeliveries(event, registry);
    return build.length === 0 ? routed : [...build, ...routed];
  };

  const planFollowUps: FollowUpPlanner = (event, names) => {
    const result: FollowUpPlan = { planned: [], skipped: [] };
    if (event.kind === CHANGE_CLOSED_KIND) return result;
    // Each target once per event: what a route already sends it is not sent again.
    const routed = new Set(routeEvent(event, allRoutes()));
    for (const name of new Set(names)) {
      // A repository turns the default outputs on and off with its own keys, not with notify.
      if ((DEFAULT_OUTPUT_KINDS as readonly string[]).includes(name) || routed.has(name)) continue;
      if (allowed.has(name)) {
        result.planned.push(...planTargets(event, [name], targets, registry));
      } else {
        result.skipped.push(refused(event, name, targets, registry));
      }
    }
    return result;
  };

  return {
    plan,
    planAlert: (event) => planTargets(event, alerts, targets, registry),
    planFollowUps,
    targets,
  };
}

/** A name a repository may not notify, as a skipped delivery saying why. */
function refused(
  event: DeployEvent,
  name: string,
  targets: TargetDirectory,
  registry: NotifierRegistry,
): SkippedDelivery {
  const kind = targets.get(name)?.kind;
  const subject =
    (kind === undefined ? undefined : registry.get(kind)?.subject?.(event)) ??
    defaultSubject(event);
  return {
    target: name,
    kind: kind ?? "unknown",
    subject,
    reason: `target "${name}" is not in repository_targets of shipcast.yml`,
  };
}

/**
 * The deliveries to write for `names`: each existing target whose notifier accepts the event,
 * with the subject that orders its deliveries. Unknown names are left out.
 */
export function planTargets(
  event: DeployEvent,
  names: readonly string[],
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
