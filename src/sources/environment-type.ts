import type { EnvironmentType } from "../events/deploy-event.js";

const PRODUCTION_WORDS = new Set(["production", "prod", "live"]);
const STAGING_WORDS = new Set(["staging", "stage", "qa", "uat", "preprod", "preproduction"]);
const PREVIEW_WORDS = new Set(["preview", "review"]);

/**
 * Guesses an environment's type from its name alone, for sources that give no type (GitHub
 * deployments without flags, GitLab environments without a tier, unknown Netlify contexts), so
 * that type-based subscription filters still work on them.
 *
 * Names are split into words on any non-alphanumeric character, which covers GitLab's folder
 * style (`production/eu`, `review/my-branch`) and suffixes (`prod-us`). Preview wins over the
 * others because review apps are commonly named after branches (`review/fix-prod`); anything
 * unrecognised is DEVELOPMENT, the type with the least alarming notifications.
 */
export function inferEnvironmentType(name: string): EnvironmentType {
  const normalized = name.trim().toLowerCase();
  const words = normalized.split(/[^a-z0-9]+/).filter((word) => word !== "");

  if (/^(pr-|pr\d|review|preview)/.test(normalized) || words.some((w) => PREVIEW_WORDS.has(w))) {
    return "PREVIEW";
  }
  if (words.some((w) => STAGING_WORDS.has(w))) return "STAGING";

  const productionAt = words.findIndex((w) => PRODUCTION_WORDS.has(w));
  if (productionAt >= 0) {
    // `pre-production` and `non-prod` name the opposite of production.
    const previous = words[productionAt - 1];
    if (previous === "pre") return "STAGING";
    if (previous === "non") return "DEVELOPMENT";
    return "PRODUCTION";
  }
  return "DEVELOPMENT";
}
