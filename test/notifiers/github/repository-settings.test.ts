import { describe, expect, it } from "vitest";
import {
  appliesTo,
  type RepositorySettings,
  RepositorySettingsCache,
  readRepositorySettings,
} from "../../../src/notifiers/github/repository-settings.js";
import { DEFAULT_STATUS_CONTEXT } from "../../../src/notifiers/kit/status-context.js";
import {
  github,
  mockSettings,
  netlifyEvent,
  OWNER,
  REPO,
  SETTINGS_FILE,
  TestOctokit,
  useStrictNock,
} from "./github-test-kit.js";

const octokit = new TestOctokit({ auth: { token: "test" } });

const DEFAULTS: RepositorySettings = {
  statuses: true,
  comments: true,
  status_context: DEFAULT_STATUS_CONTEXT,
  notify: [],
};

function yamlAt(repo: string, yaml: string): void {
  github()
    .get(`/repos/${OWNER}/${repo}${SETTINGS_FILE}`)
    .reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
}

function read() {
  return readRepositorySettings(octokit, OWNER, REPO);
}

describe("readRepositorySettings", () => {
  useStrictNock();

  it("gives the defaults when neither the repository nor the owner's .github has the file", async () => {
    mockSettings(undefined);
    expect(await read()).toEqual({ ok: true, settings: DEFAULTS });
  });

  it("reads every setting from the repository's file", async () => {
    mockSettings(
      [
        "statuses: false",
        "comments: true",
        "environments: [production, PREVIEW]",
        'status_context: "deploys/{environment_type}"',
        "notify:",
        "  - team-slack",
      ].join("\n"),
    );
    expect(await read()).toEqual({
      ok: true,
      settings: {
        statuses: false,
        comments: true,
        environments: ["production", "PREVIEW"],
        status_context: "deploys/{environment_type}",
        notify: ["team-slack"],
      },
    });
  });

  it("treats an empty file as the defaults", async () => {
    mockSettings("# nothing yet\n");
    expect(await read()).toEqual({ ok: true, settings: DEFAULTS });
  });

  it("falls back to the owner's .github repository", async () => {
    github().get(`/repos/${OWNER}/${REPO}${SETTINGS_FILE}`).reply(404, { message: "Not Found" });
    yamlAt(".github", "comments: false\n");
    expect(await read()).toEqual({ ok: true, settings: { ...DEFAULTS, comments: false } });
  });

  it("follows _extends and lets the extending file win, shallowly", async () => {
    yamlAt(REPO, "_extends: shared-settings\nstatuses: false\n");
    yamlAt("shared-settings", "statuses: true\ncomments: false\nenvironments: [production]\n");
    expect(await read()).toEqual({
      ok: true,
      settings: { ...DEFAULTS, statuses: false, comments: false, environments: ["production"] },
    });
  });

  it.each([
    [
      "environments: production\n",
      ".github/shipcast.yml: environments: expected a list of environment names or types",
    ],
    ["statuses: yes please\n", ".github/shipcast.yml: statuses: expected true or false"],
    [
      "environments: [production, 3]\n",
      ".github/shipcast.yml: environments[1]: expected an environment name or type",
    ],
    ['notify: [""]\n', ".github/shipcast.yml: notify[0]: expected a target name"],
    [
      "- statuses\n- comments\n",
      ".github/shipcast.yml: expected a mapping of settings (key: value lines)",
    ],
    [
      "commments: false\n",
      '.github/shipcast.yml: unknown key "commments" (known keys: statuses, comments, environments, status_context, notify)',
    ],
  ])("reports a wrong file: %j", async (yaml, problem) => {
    mockSettings(yaml);
    expect(await read()).toEqual({ ok: false, problem });
  });

  it("refuses secrets and URLs in a repository file", async () => {
    mockSettings("url: https://hooks.slack.com/services/T/B/secret\ntoken: abc\n");
    const result = await read();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toMatch(/^\.github\/shipcast\.yml: unknown key "url", "token": /);
    expect(result.problem).toContain("never carries URLs or secrets");
    expect(result.problem).not.toContain("hooks.slack.com");
  });

  it("reports invalid YAML with the parser's words", async () => {
    mockSettings("statuses: [true\ncomments: false\n");
    const result = await read();
    expect(result).toMatchObject({ ok: false });
    if (result.ok) return;
    expect(result.problem).toMatch(/^\.github\/shipcast\.yml: invalid YAML: \S/);
    expect(result.problem).not.toContain("\n");
  });

  it("reports a file that is a single value", async () => {
    mockSettings("just words\n");
    expect(await read()).toEqual({
      ok: false,
      problem:
        ".github/shipcast.yml: expected a mapping of settings (key: value lines), not a single value",
    });
  });

  it("names the file of another repository when the problem is there", async () => {
    github().get(`/repos/${OWNER}/${REPO}${SETTINGS_FILE}`).reply(404, { message: "Not Found" });
    yamlAt(".github", "statuses: 1\n");
    expect(await read()).toEqual({
      ok: false,
      problem: "jd-ftf/.github:.github/shipcast.yml: statuses: expected true or false",
    });
  });

  it("reports a bad _extends", async () => {
    yamlAt(REPO, "_extends: 'not a repo!'\n");
    expect(await read()).toEqual({
      ok: false,
      problem:
        '.github/shipcast.yml: _extends: invalid value "not a repo!" (expected repo, owner/repo or owner/repo:path.yml)',
    });
  });

  it("lets the API's errors through for the notifier to classify", async () => {
    github().get(`/repos/${OWNER}/${REPO}${SETTINGS_FILE}`).reply(500, { message: "Server Error" });
    await expect(read()).rejects.toMatchObject({ status: 500 });
  });
});

describe("RepositorySettingsCache", () => {
  useStrictNock();

  it("reads a repository's file once for concurrent and later readers, until the TTL", async () => {
    let now = 0;
    const cache = new RepositorySettingsCache({ ttlMs: 60_000, now: () => now });
    mockSettings("comments: false\n");
    const [first, second] = await Promise.all([
      cache.read(octokit, OWNER, REPO),
      cache.read(octokit, OWNER, REPO),
    ]);
    expect(first).toEqual(second);
    now = 59_000;
    expect(await cache.read(octokit, OWNER.toUpperCase(), REPO)).toEqual(first);
    now = 61_000;
    mockSettings("comments: true\n");
    expect(await cache.read(octokit, OWNER, REPO)).toEqual({ ok: true, settings: DEFAULTS });
  });

  it("remembers a broken file but not an API error", async () => {
    const cache = new RepositorySettingsCache();
    github().get(`/repos/${OWNER}/${REPO}${SETTINGS_FILE}`).reply(502, { message: "Bad Gateway" });
    await expect(cache.read(octokit, OWNER, REPO)).rejects.toMatchObject({ status: 502 });
    mockSettings("statuses: maybe\n");
    const broken = await cache.read(octokit, OWNER, REPO);
    expect(broken.ok).toBe(false);
    expect(await cache.read(octokit, OWNER, REPO)).toEqual(broken);
  });
});

describe("appliesTo", () => {
  const event = netlifyEvent();
  const settings = (environments?: string[]): RepositorySettings =>
    environments === undefined ? DEFAULTS : { ...DEFAULTS, environments };

  it("takes every environment when the list is omitted", () => {
    expect(appliesTo(settings(), event)).toBe(true);
  });

  it("matches the environment's name or type, ignoring case", () => {
    expect(appliesTo(settings(["Deploy-Preview"]), event)).toBe(true);
    expect(appliesTo(settings(["preview"]), event)).toBe(true);
    expect(appliesTo(settings(["PRODUCTION", "staging"]), event)).toBe(false);
  });

  it("takes none with an empty list", () => {
    expect(appliesTo(settings([]), event)).toBe(false);
  });
});
