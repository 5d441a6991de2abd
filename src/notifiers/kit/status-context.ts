import type { DeployEvent } from "../../events/deploy-event.js";

/** The default commit-status context (GitHub) / name (GitLab). */
export const DEFAULT_STATUS_CONTEXT = "shipcast/deploy: {environment}";

/**
 * Fills a status-context template: `{environment}` (the environment's name), `{environment_type}`
 * (PRODUCTION, …) and `{project}`. Unknown placeholders are left as written.
 */
export function statusContext(template: string, event: DeployEvent): string {
  const values: Record<string, string> = {
    environment: event.environment.name,
    environment_type: event.environment.type,
    project: event.project.name,
  };
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** At most `max` characters, ending with an ellipsis when cut (GitHub refuses > 140 with 422). */
export function truncateDescription(text: string, max = 140): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** The words of a commit status description for an event. */
export function statusDescription(event: DeployEvent): string {
  const where = `${event.project.name} (${event.environment.name})`;
  switch (event.kind) {
    case "deploy.started":
      return truncateDescription(`Deploying ${where}…`);
    case "deploy.succeeded":
      return truncateDescription(`Deployed ${where}`);
    case "deploy.failed":
      return truncateDescription(
        event.error ? `Deploy failed: ${event.error}` : `Deploy of ${where} failed`,
      );
    case "deploy.cancelled":
      return truncateDescription(`Deploy of ${where} was cancelled`);
    default:
      return truncateDescription(`${event.kind} ${where}`);
  }
}
