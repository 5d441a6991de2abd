/**
 * Shared set-up of the GitHub App tests: a Probot instance against `https://api.github.com`
 * with Octokit's own retries and throttling off (the delivery engine owns both), nock in strict
 * mode (no network, every mock used, any unmatched request fails the test), and realistic events
 * from the real Netlify fixture (repository jd-ftf/test, pull request 6).
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import type { DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { normalizeNetlify } from "../../../src/sources/netlify-normalize.js";

export const API = "https://api.github.com";
export const OWNER = "jd-ftf";
export const REPO = "test";
export const SHA = "2bf6019eab7035beccc013d641445f9bb1006083";
export const INSTALLATION_ID = 4242;
export const APP_SLUG = "shipcast-test";
export const APP_LOGIN = `${APP_SLUG}[bot]`;
/** The contents API path of the settings file (the plugin escapes the slash). */
export const SETTINGS_FILE = "/contents/.github%2Fshipcast.yml";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

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
    privateKey,
    Octokit: TestOctokit,
    log: pino({ level: "silent" }),
  });
}

export { useStrictNock } from "../../helpers/strict-nock.js";

/** The GitHub API, for mocks. */
export function github(): nock.Scope {
  return nock(API);
}

/** The app's installation on `owner/repo`, found with the app's JWT. */
export function mockInstallation(owner = OWNER, repo = REPO, id = INSTALLATION_ID): nock.Scope {
  return github()
    .get(`/repos/${owner}/${repo}/installation`)
    .matchHeader("authorization", /^bearer /i)
    .reply(200, { id, account: { login: owner }, app_slug: APP_SLUG });
}

/** The app is not installed on `owner/repo`. */
export function mockNotInstalled(owner = OWNER, repo = REPO): nock.Scope {
  return github().get(`/repos/${owner}/${repo}/installation`).reply(404, {
    message: "Not Found",
    documentation_url:
      "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app",
  });
}

/** The installation token; Probot caches it, so one per test and installation. */
export function mockToken(id = INSTALLATION_ID): nock.Scope {
  return github()
    .post(`/app/installations/${id}/access_tokens`)
    .reply(201, {
      token: "test",
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: { statuses: "write", issues: "write", pull_requests: "write" },
      repository_selection: "all",
    });
}

/** `GET /app`: the app's slug, for its bot login. */
export function mockApp(): nock.Scope {
  return github()
    .get("/app")
    .matchHeader("authorization", /^bearer /i)
    .reply(200, { id: 1, slug: APP_SLUG, name: "Shipcast test" });
}

/**
 * `.github/shipcast.yml` of `owner/repo`: the given YAML, or (undefined) no file there nor in
 * the owner's `.github` repository.
 */
export function mockSettings(yaml: string | undefined, owner = OWNER, repo = REPO): nock.Scope {
  const scope = github();
  if (yaml === undefined) {
    scope
      .get(`/repos/${owner}/${repo}${SETTINGS_FILE}`)
      .reply(404, { message: "Not Found" })
      .get(`/repos/${owner}/.github${SETTINGS_FILE}`)
      .reply(404, { message: "Not Found" });
    return scope;
  }
  return scope
    .get(`/repos/${owner}/${repo}${SETTINGS_FILE}`)
    .matchHeader("accept", /raw/)
    .reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
}

/** Installation, token and settings: what every delivery to a repository starts with. */
export function mockRepositoryReady(yaml?: string): void {
  mockInstallation();
  mockToken();
  mockSettings(yaml);
}

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
