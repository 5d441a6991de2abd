/**
 * What the delivery engine needs from the planner, which lives a floor above it (`routing/`):
 * where target names are resolved, the shape of a planned delivery, and the function that turns
 * the target names a notifier returns (a repository's `notify`) into deliveries. The planner
 * implements these; the workers receive them at start-up and never import routing.
 */
import type { DeployEvent } from "../events/deploy-event.js";

/** A named target as the delivery engine needs it: which notifier, with which settings. */
export interface ResolvedTarget {
  name: string;
  kind: string;
  settings: unknown;
}

/** Where targets are looked up by name (the routing file's, the API's notifications, …). */
export interface TargetDirectory {
  get(name: string): ResolvedTarget | undefined;
}

/** One delivery to write for an event. */
export interface PlannedDelivery {
  target: string;
  kind: string;
  /** Deliveries to one target about one subject run one at a time, in event order. */
  subject: string;
}

/** A delivery the planner refused: written as `skipped` at once, with the reason, for the log. */
export interface SkippedDelivery extends PlannedDelivery {
  reason: string;
}

/** What becomes of the target names a notifier returned for an event. */
export interface FollowUpPlan {
  /** Deliveries to write (pending) with the attempt that named them. */
  planned: PlannedDelivery[];
  /** Names that may not be notified this way, each recorded as a skipped delivery. */
  skipped: SkippedDelivery[];
}

/**
 * Plans the deliveries for target names a notifier returned as `followUps` (the names a
 * repository's `.github/shipcast.yml` lists under `notify`), for the same event.
 */
export type FollowUpPlanner = (event: DeployEvent, names: readonly string[]) => FollowUpPlan;
