/**
 * GitHub API mocks shared by the GitHub App tests (the notifiers' kit) and the end-to-end tests
 * that run a whole Shipcast against GitHub: the installation of the app on a repository, its
 * token, `GET /app` and the repository's `.github/shipcast.yml`, all on nock (use it strictly,
 * `useStrictNock`). The repository is the real Netlify fixture's, jd-ftf/test.
 */
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";

export const API = "https://api.github.com";
export const OWNER = "jd-ftf";
export const REPO = "test";
export const SHA = "2bf6019eab7035beccc013d641445f9bb1006083";
export const INSTALLATION_ID = 4242;
export const APP_SLUG = "shipcast-test";
export const APP_LOGIN = `${APP_SLUG}[bot]`;
/** The contents API path of the settings file (the plugin escapes the slash). */
export const SETTINGS_FILE = "/contents/.github%2Fshipcast.yml";

/** An RSA key for the test app (`PRIVATE_KEY`), made once per test file. */
export const { privateKey: TEST_PRIVATE_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

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
