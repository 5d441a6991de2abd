/**
 * Shared set-up of the GitHub App tests: a Probot instance against `https://api.github.com`
 * with Octokit's own retries and throttling off (the delivery engine owns both), nock in strict
 * mode (no network, every mock used, any unmatched request fails the test), and realistic events
 * from the real Netlify fixture (repository jd-ftf/test, pull request 6).
 */
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import type { DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { normalizeNetlify } from "../../../src/sources/netlify-normalize.js";
import { TEST_PRIVATE_KEY } from "../../helpers/github-api-mocks.js";

/**
 * ProbotOctokit with its own retries and throttling off. The function form matters: Probot
 * merges its throttle handlers over object defaults shallowly, which would drop
 * `enabled: false` and leave the throttling plugin waiting out rate limits inside a delivery.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object | undefined), enabled: false },
}));

/** A fresh Probot (its token cache is per instance, so each test starts cold). */
export function createTestProbot(): Probot {
  return new Probot({
    appId: 1,
    privateKey: TEST_PRIVATE_KEY,
    Octokit: TestOctokit,
    log: pino({ level: "silent" }),
  });
}

export {
  API,
  APP_LOGIN,
  APP_SLUG,
  github,
  INSTALLATION_ID,
  mockApp,
  mockInstallation,
  mockNotInstalled,
  mockRepositoryReady,
  mockSettings,
  mockToken,
  OWNER,
  REPO,
  SETTINGS_FILE,
  SHA,
} from "../../helpers/github-api-mocks.js";
export { useStrictNock } from "../../helpers/strict-nock.js";

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/netlify/${name}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
}

/** A Netlify deploy of jd-ftf/test's pull request 6, normalized, with overrides on top. */
export function netlifyEvent(
  overrides: Partial<DeployEvent> = {},
  file = "deploy_created.deploy-preview.json",
): DeployEvent {
  const result = normalizeNetlify({ headers: {}, payload: fixture(file) });
  if (isIgnored(result)) throw new Error(`fixture ${file} was ignored: ${result.reason}`);
  return { ...result, ...overrides };
}

/** The delivery context of one attempt. */
export function deliveryContext(event: DeployEvent, attempt = 1): DeliveryContext {
  return {
    deliveryId: `dlv_test_${attempt}`,
    eventId: "evt_test",
    event,
    attempt,
    signal: new AbortController().signal,
  };
}
