import { Probot, ProbotOctokit } from "probot";
import { createShipcastApp } from "./app.js";
import type { Config } from "./config/env.js";
import type { ProcessedEvent } from "./ingest/event-worker.js";
import type { Logger } from "./logging/logger.js";

/**
 * Creates the Probot instance when the GitHub App is configured (APP_ID and a private key),
 * with the app function loaded. Webhooks never pass through Probot's middleware: Shipcast's own
 * route verifies and stores them, and `handToProbot` delivers them once committed.
 */
/**
 * Octokit without its own retries and throttling: the delivery engine owns both (a throttled
 * request would otherwise wait for a rate-limit reset far past the attempt's timeout, and a
 * retried one would hide the failure from the delivery log).
 */
export const EngineOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object | undefined), enabled: false },
}));

export async function createProbot(config: Config, log: Logger): Promise<Probot | undefined> {
  if (!config.githubApp) return undefined;
  const probot = new Probot({
    appId: config.githubApp.appId,
    privateKey: config.githubApp.privateKey,
    // Probot insists on a secret; it is never used to verify (we do that) and never defaults to
    // "development": without WEBHOOK_SECRET the GitHub source is off altogether.
    secret: config.sources.github.secret ?? "unused: the GitHub source is off",
    baseUrl: config.github.apiBaseUrl,
    log: log.child({ name: "probot" }),
    Octokit: EngineOctokit,
  });
  await probot.load(createShipcastApp());
  return probot;
}

/** After-commit hook of the event worker: GitHub events go on to the Probot app's handlers. */
export function handToProbot(probot: Probot, log: Logger) {
  return async (processed: ProcessedEvent[]): Promise<void> => {
    for (const { row } of processed) {
      if (row.source !== "github" || !row.event_name) continue;
      try {
        await probot.receive({
          id: row.dedupe_key,
          name: row.event_name,
          payload: JSON.parse(row.body),
        } as Parameters<Probot["receive"]>[0]);
      } catch (error) {
        log.error({ err: error, event: row.id }, "a Probot handler failed");
      }
    }
  };
}
