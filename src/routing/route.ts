import type { DeployEvent, DeployEventKind, EnvironmentType } from "../events/deploy-event.js";
import { wildcardMatcher } from "./patterns.js";

/**
 * One routing rule: when an event passes every filter the route has, its targets are notified.
 * A filter that is absent matches everything. Routes come from the routing file today and may
 * come from the store later, so the type lives here rather than with the file's parser.
 */
export interface Route {
  /** Event kinds the route is about, or `"all"`. */
  events: "all" | DeployEventKind[];
  /** Environment types (`event.environment.type`); absent: every environment. */
  environments?: EnvironmentType[];
  /**
   * Project patterns, matched case-insensitively against the project name and the repository's
   * full path; `*` matches any run of characters, `/` included. Absent: every project.
   */
  projects?: string[];
  /**
   * Branch patterns with GitLab branch-filter semantics: an exact name, or `*` wildcards that
   * match any run of characters, `/` included; case-sensitive. Absent: every branch, and events
   * without a branch too. Present: an event without a branch never matches.
   */
  branches?: string[];
  /** Names of the targets to notify. */
  notify: string[];
}

type Predicate = (value: string) => boolean;

interface CompiledRoute {
  events: ReadonlySet<string> | undefined;
  environments: ReadonlySet<string> | undefined;
  projects: Predicate[] | undefined;
  branches: Predicate[] | undefined;
}

/**
 * Patterns are compiled once per route object, not once per event: routing runs for every event
 * and the routes rarely change. Routes are treated as immutable once routed with.
 */
const compiled = new WeakMap<Route, CompiledRoute>();

/**
 * The names of the targets to notify about `event`: the `notify` lists of every matching route,
 * in route order, each name once (its first occurrence). Pure; no routes, no targets.
 */
export function routeEvent(event: DeployEvent, routes: readonly Route[]): string[] {
  const targets = new Set<string>();
  for (const route of routes) {
    if (!matches(compile(route), event)) continue;
    for (const name of route.notify) targets.add(name);
  }
  return [...targets];
}

function compile(route: Route): CompiledRoute {
  let result = compiled.get(route);
  if (result === undefined) {
    result = {
      events: route.events === "all" ? undefined : new Set(route.events),
      environments: route.environments && new Set(route.environments),
      projects: route.projects?.map((pattern) =>
        wildcardMatcher(pattern, { caseInsensitive: true }),
      ),
      branches: route.branches?.map((pattern) =>
        wildcardMatcher(pattern, { caseInsensitive: false }),
      ),
    };
    compiled.set(route, result);
  }
  return result;
}

function matches(route: CompiledRoute, event: DeployEvent): boolean {
  if (route.events && !route.events.has(event.kind)) return false;
  if (route.environments && !route.environments.has(event.environment.type)) return false;
  if (route.projects) {
    const names = [event.project.name];
    const fullPath = event.project.repository?.fullPath;
    if (fullPath !== undefined) names.push(fullPath);
    if (!route.projects.some((matcher) => names.some(matcher))) return false;
  }
  if (route.branches) {
    const branch = branchOf(event);
    if (branch === undefined || !route.branches.some((matcher) => matcher(branch))) return false;
  }
  return true;
}

/**
 * The branch an event was built from. Some senders give the full ref (`refs/heads/main`);
 * branch filters name branches, so the prefix is dropped. Other refs (tags, pull refs) stay as
 * they are and only match patterns written for them.
 */
function branchOf(event: DeployEvent): string | undefined {
  const ref = event.commit?.ref;
  if (ref === undefined || ref === "") return undefined;
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}
