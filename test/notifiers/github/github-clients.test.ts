import { describe, expect, it } from "vitest";
import {
  createGithubClients,
  githubRepositoryOf,
} from "../../../src/notifiers/github/github-clients.js";
import {
  APP_LOGIN,
  createTestProbot,
  github,
  INSTALLATION_ID,
  mockApp,
  mockInstallation,
  mockNotInstalled,
  mockToken,
  netlifyEvent,
  OWNER,
  REPO,
  useStrictNock,
} from "./github-test-kit.js";

describe("createGithubClients", () => {
  useStrictNock();

  it("finds the installation with the app's JWT and returns an installation client", async () => {
    mockInstallation();
    mockToken();
    github()
      .get(`/repos/${OWNER}/${REPO}`)
      .matchHeader("authorization", "token test")
      .reply(200, { full_name: `${OWNER}/${REPO}` });
    const clients = createGithubClients(createTestProbot());
    const octokit = await clients.forRepository(OWNER, REPO);
    expect(octokit).toBeDefined();
    const { data } = await (octokit as NonNullable<typeof octokit>).rest.repos.get({
      owner: OWNER,
      repo: REPO,
    });
    expect(data.full_name).toBe(`${OWNER}/${REPO}`);
  });

  it("remembers the installation id per repository, case-insensitively, until the TTL", async () => {
    let now = 1_000_000;
    mockInstallation();
    mockToken();
    const clients = createGithubClients(createTestProbot(), { cacheTtlMs: 60_000, now: () => now });
    expect(await clients.forRepository(OWNER, REPO)).toBeDefined();
    // One lookup for concurrent and later calls alike (strict nock fails on a second request).
    await Promise.all([
      clients.forRepository(OWNER, REPO),
      clients.forRepository(OWNER.toUpperCase(), REPO),
    ]);
    now += 60_001;
    mockInstallation(OWNER, REPO, INSTALLATION_ID + 1);
    mockToken(INSTALLATION_ID + 1);
    expect(await clients.forRepository(OWNER, REPO)).toBeDefined();
  });

  it("shares one lookup between concurrent calls", async () => {
    mockInstallation();
    mockToken();
    const clients = createGithubClients(createTestProbot());
    const results = await Promise.all([
      clients.forRepository(OWNER, REPO),
      clients.forRepository(OWNER, REPO),
      clients.forRepository(OWNER, REPO),
    ]);
    expect(results.every((octokit) => octokit !== undefined)).toBe(true);
  });

  it("answers undefined when not installed, and remembers that for a shorter while", async () => {
    let now = 1_000_000;
    mockNotInstalled();
    const clients = createGithubClients(createTestProbot(), {
      notInstalledTtlMs: 30_000,
      now: () => now,
    });
    expect(await clients.forRepository(OWNER, REPO)).toBeUndefined();
    now += 29_000;
    expect(await clients.forRepository(OWNER, REPO)).toBeUndefined();
    now += 2_000;
    mockInstallation();
    mockToken();
    expect(await clients.forRepository(OWNER, REPO)).toBeDefined();
  });

  it("lets other errors through and remembers nothing", async () => {
    github().get(`/repos/${OWNER}/${REPO}/installation`).reply(500, { message: "Server Error" });
    const clients = createGithubClients(createTestProbot());
    await expect(clients.forRepository(OWNER, REPO)).rejects.toMatchObject({ status: 500 });
    mockInstallation();
    mockToken();
    expect(await clients.forRepository(OWNER, REPO)).toBeDefined();
  });

  it("forgets a repository on request", async () => {
    mockInstallation();
    mockToken();
    const clients = createGithubClients(createTestProbot());
    await clients.forRepository(OWNER, REPO);
    clients.forget(OWNER, REPO);
    mockNotInstalled();
    expect(await clients.forRepository(OWNER, REPO)).toBeUndefined();
  });

  it("looks the installation up again at once when its token is refused", async () => {
    // Reinstalled: the old id's token is refused, the new id works.
    mockInstallation();
    github()
      .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
      .reply(404, { message: "Not Found" });
    mockInstallation(OWNER, REPO, INSTALLATION_ID + 1);
    mockToken(INSTALLATION_ID + 1);
    const clients = createGithubClients(createTestProbot());
    expect(await clients.forRepository(OWNER, REPO)).toBeDefined();
  });

  it("answers undefined when the refused installation is gone", async () => {
    mockInstallation();
    github()
      .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
      .reply(404, { message: "Not Found" });
    mockNotInstalled();
    const clients = createGithubClients(createTestProbot());
    expect(await clients.forRepository(OWNER, REPO)).toBeUndefined();
  });

  it("lets a suspended installation's refusal through", async () => {
    mockInstallation();
    github()
      .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
      .reply(403, { message: "This installation has been suspended" });
    const clients = createGithubClients(createTestProbot());
    await expect(clients.forRepository(OWNER, REPO)).rejects.toMatchObject({ status: 403 });
  });

  it("knows the app's bot login from GET /app, asked once", async () => {
    mockApp();
    const clients = createGithubClients(createTestProbot());
    expect(await clients.appLogin()).toBe(APP_LOGIN);
    expect(await clients.appLogin()).toBe(APP_LOGIN);
  });

  it("asks GET /app again after a failure", async () => {
    github().get("/app").reply(502, "Bad Gateway");
    const clients = createGithubClients(createTestProbot());
    await expect(clients.appLogin()).rejects.toMatchObject({ status: 502 });
    mockApp();
    expect(await clients.appLogin()).toBe(APP_LOGIN);
  });
});

describe("githubRepositoryOf", () => {
  const clients = { webOrigin: "https://github.com" };

  it("splits the event's owner/repo", () => {
    expect(githubRepositoryOf(netlifyEvent(), clients)).toEqual({
      repository: {
        owner: OWNER,
        repo: REPO,
        fullPath: `${OWNER}/${REPO}`,
        origin: "https://github.com",
      },
    });
  });

  it("refuses events without a GitHub repository", () => {
    const event = netlifyEvent();
    const { repository: _dropped, ...project } = event.project;
    expect(githubRepositoryOf({ ...event, project }, clients)).toEqual({
      reason: "the event names no GitHub repository",
    });
    const gitlab = netlifyEvent({
      project: {
        name: "p",
        repository: { host: "gitlab", origin: "https://gitlab.com", fullPath: "g/sub/p" },
      },
    });
    expect(githubRepositoryOf(gitlab, clients)).toEqual({
      reason: "the event names no GitHub repository",
    });
  });

  it("refuses repositories on another GitHub than the app's", () => {
    const event = netlifyEvent();
    expect(githubRepositoryOf(event, { webOrigin: "https://ghe.example.com" })).toEqual({
      reason:
        "https://github.com/jd-ftf/test is not on https://ghe.example.com, the GitHub this Shipcast GitHub App serves",
    });
  });
});
