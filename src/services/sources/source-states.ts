/** Which sources are on, where they listen, and which setting turns each one on. */
import type { Config } from "../../config/env.js";
import { SOURCES } from "../../sources/index.js";

/** One source as the start-up log and the dashboard describe it. */
export interface SourceState {
  name: string;
  /** Human name ("GitHub"). */
  title: string;
  /** The POST route (`/api/netlify/webhooks`). */
  route: string;
  /** The environment variable holding its secret. */
  secretSetting: string;
  active: boolean;
}

/** Every source, active when its secret is configured. */
export function sourceStates(sources: Config["sources"]): SourceState[] {
  return SOURCES.map((source) => ({
    name: source.name,
    title: source.title,
    route: source.route,
    secretSetting: source.secretSetting,
    active: sources[source.name as keyof Config["sources"]]?.secret !== undefined,
  }));
}
