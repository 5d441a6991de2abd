import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import { buildEmail } from "../../../src/notifiers/email/email-message.js";
import { normalizeNetlify } from "../../../src/sources/netlify-normalize.js";

function netlifyFixture(name: string, event: string): DeployEvent {
  const payload: unknown = JSON.parse(
    readFileSync(new URL(`../../fixtures/netlify/${name}`, import.meta.url), "utf8"),
  );
  const result = normalizeNetlify({ headers: { "x-netlify-event": event }, payload });
  if (isIgnored(result)) throw new Error(`fixture ${name} was ignored: ${result.reason}`);
  return result;
}

const SHA = "0123456789abcdef0123456789abcdef01234567";

function deployEvent(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "github",
    sourceEvent: "deployment_status",
    project: {
      name: "shop",
      repository: {
        host: "github",
        origin: "https://github.com",
        fullPath: "acme/shop",
        url: "https://github.com/acme/shop",
      },
    },
    environment: { name: "production", type: "PRODUCTION" },
    commit: {
      sha: SHA,
      ref: "main",
      url: `https://github.com/acme/shop/commit/${SHA}`,
      message: "Add checkout",
    },
    urls: {
      deploy: "https://shop.example.com/",
      logs: "https://ci.example.com/runs/42",
      admin: "https://ci.example.com/shop",
    },
    actor: "octocat",
    occurredAt: "2024-05-01T12:00:00.000Z",
    ids: { deploy: "42" },
    ...overrides,
  };
}

describe("buildEmail subjects", () => {
  it.each([
    ["deploy.started", "started"],
    ["deploy.succeeded", "succeeded"],
    ["deploy.failed", "failed"],
    ["deploy.cancelled", "cancelled"],
    ["deploy.locked", "locked"],
    ["deploy.unlocked", "unlocked"],
  ] as const)("names the state of a %s event", (kind, state) => {
    expect(buildEmail(deployEvent({ kind })).subject).toBe(
      `[shop] Deploy ${state}: production (main@0123456)`,
    );
  });

  it("keeps only the branch when the sha is unknown", () => {
    const event = deployEvent({ commit: { ref: "main" } });
    expect(buildEmail(event).subject).toBe("[shop] Deploy succeeded: production (main)");
  });

  it("keeps only the short sha when the branch is unknown", () => {
    const event = deployEvent({ commit: { sha: SHA } });
    expect(buildEmail(event).subject).toBe("[shop] Deploy succeeded: production (@0123456)");
  });

  it("leaves the parenthesis out when neither branch nor sha is known", () => {
    const event = deployEvent({ commit: undefined });
    expect(buildEmail(event).subject).toBe("[shop] Deploy succeeded: production");
  });

  it("collapses line breaks so a project name cannot add header lines", () => {
    const event = deployEvent({ project: { name: "shop\r\nBcc: evil@example.com" } });
    const { subject } = buildEmail(event);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe(
      "[shop Bcc: evil@example.com] Deploy succeeded: production (main@0123456)",
    );
  });
});

describe("buildEmail on the real Netlify fixtures", () => {
  const failed = netlifyFixture("deploy_failed.deploy-preview.json", "deploy_failed");
  const created = netlifyFixture("deploy_created.deploy-preview.json", "deploy_created");
  const links = [
    "https://github.com/jd-ftf/test/commit/2bf6019eab7035beccc013d641445f9bb1006083",
    "https://github.com/jd-ftf/test/pull/6",
    "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com/",
    "https://app.netlify.com/sites/dazzling-almeida-67ef75/deploys/5e16fd8f7a376a1a95d6cf9c",
    "https://app.netlify.com/sites/dazzling-almeida-67ef75",
  ];
  const error = "failed during stage 'building site': Build script returned non-zero exit code: 1";

  it("titles a failed deploy preview with the site, context, branch and short sha", () => {
    expect(buildEmail(failed).subject).toBe(
      "[dazzling-almeida-67ef75] Deploy failed: deploy-preview (dev@2bf6019)",
    );
    expect(buildEmail(created).subject).toBe(
      "[dazzling-almeida-67ef75] Deploy succeeded: deploy-preview (dev@2bf6019)",
    );
  });

  it("puts every link and the error in the plain-text part", () => {
    const { text } = buildEmail(failed);
    for (const link of links) expect(text).toContain(link);
    expect(text).toContain(`Error: ${error}`);
    expect(text).toContain("Environment: deploy-preview (PREVIEW)");
    expect(text).toContain("Branch: dev");
    expect(text).toContain("PR: #6 <https://github.com/jd-ftf/test/pull/6>");
    expect(text).toContain("Commit: 2bf6019 (nothing: test)");
    expect(text).toContain("Time: 2020-01-09T10:17:53.736Z");
    expect(text).toContain("Source: netlify (deploy_failed)");
  });

  it("links every URL and shows the escaped error in the HTML part", () => {
    const { html } = buildEmail(failed);
    for (const link of links) expect(html).toContain(`href="${link}"`);
    expect(html).toContain(">2bf6019</a>");
    expect(html).toContain(">#6</a>");
    expect(html).toContain(error.replaceAll("'", "&#39;"));
    expect(html).toContain("deploy-preview (PREVIEW)");
  });

  it("has no error line for a successful deploy", () => {
    const { text, html } = buildEmail(created);
    expect(text).not.toContain("Error:");
    expect(html).not.toContain(">Error<");
  });
});

describe("buildEmail content", () => {
  it("calls a GitLab change an MR", () => {
    const event = deployEvent({
      source: "gitlab",
      project: {
        name: "shop",
        repository: { host: "gitlab", origin: "https://gitlab.com", fullPath: "acme/shop" },
      },
      change: { number: 7, url: "https://gitlab.com/acme/shop/-/merge_requests/7" },
    });
    const { text, html } = buildEmail(event);
    expect(text).toContain("MR: !7 <https://gitlab.com/acme/shop/-/merge_requests/7>");
    expect(html).toContain(">MR</th>");
    expect(html).not.toContain(">PR</th>");
  });

  it("calls a GitHub change a PR", () => {
    const event = deployEvent({
      change: { number: 3, url: "https://github.com/acme/shop/pull/3" },
    });
    expect(buildEmail(event).text).toContain("PR: #3 <https://github.com/acme/shop/pull/3>");
  });

  it("shows the actor and the deploy, logs and admin links in both parts", () => {
    const { text, html } = buildEmail(deployEvent());
    expect(text).toContain("Actor: octocat");
    expect(text).toContain("Deploy: https://shop.example.com/");
    expect(text).toContain("Logs: https://ci.example.com/runs/42");
    expect(text).toContain("Admin: https://ci.example.com/shop");
    expect(html).toContain('href="https://shop.example.com/"');
    expect(html).toContain('href="https://ci.example.com/runs/42"');
    expect(html).toContain('href="https://ci.example.com/shop"');
    expect(html).toContain("octocat");
  });

  it("escapes user-supplied text in the HTML part", () => {
    const event = deployEvent({
      kind: "deploy.failed",
      project: { name: "<script>alert(1)</script>" },
      environment: { name: 'prod"><img src=x onerror=alert(1)>', type: "PRODUCTION" },
      error: "<script>steal()</script> & more",
      actor: "<b>mallory</b>",
    });
    const { html, text } = buildEmail(event);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>mallory");
    expect(html).toContain("&lt;script&gt;steal()&lt;/script&gt; &amp; more");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("prod&quot;&gt;&lt;img");
    // The plain-text part is not HTML: it keeps the text as it was sent.
    expect(text).toContain("Error: <script>steal()</script> & more");
  });

  it("links only http(s) URLs", () => {
    const event = deployEvent({
      urls: { deploy: "javascript:alert(1)", logs: "https://ci.example.com/runs/1" },
      commit: { sha: SHA, url: "data:text/html,<script>alert(1)</script>" },
    });
    const { html } = buildEmail(event);
    expect(html).not.toContain('href="javascript:');
    expect(html).not.toContain('href="data:');
    expect(html).toContain("javascript:alert(1)");
    expect(html).toContain('href="https://ci.example.com/runs/1"');
    expect(html).toContain(">0123456<");
  });
});

describe("buildEmail for a form submission", () => {
  const submission = deployEvent({
    kind: "form.submitted",
    source: "netlify",
    sourceEvent: "submission_created",
    project: { name: "dazzling-almeida-67ef75.netlify.app" },
    commit: undefined,
    urls: { deploy: "https://dazzling-almeida-67ef75.netlify.app" },
    form: {
      name: "contact",
      fields: {
        name: "Ada Lovelace",
        email: "ada@example.com",
        message: "<script>alert('hi')</script>\nSecond line",
        company: null,
        newsletter: true,
      },
    },
  });

  it("titles it with the project and the form name", () => {
    expect(buildEmail(submission).subject).toBe(
      "[dazzling-almeida-67ef75.netlify.app] Form submission: contact",
    );
  });

  it("lists the submitted fields in both parts", () => {
    const { text, html } = buildEmail(submission);
    expect(text).toContain("  name: Ada Lovelace\n");
    expect(text).toContain("  email: ada@example.com\n");
    expect(text).toContain("  newsletter: true\n");
    expect(text).toContain("  company: \n");
    // A multi-line value stays indented under its field.
    expect(text).toContain("  message: <script>alert('hi')</script>\n      Second line\n");
    expect(html).toContain(">email</th>");
    expect(html).toContain("ada@example.com");
    expect(html).toContain("&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('href="https://dazzling-almeida-67ef75.netlify.app/"');
  });
});

describe("buildEmail for a build request", () => {
  const request = (build: Partial<NonNullable<DeployEvent["build"]>> = {}) =>
    deployEvent({
      kind: "build.requested",
      source: "shipcast",
      sourceEvent: "build_hook",
      project: { name: "web" },
      commit: { ref: "main" },
      urls: {},
      actor: undefined,
      ids: { trigger: "evt_1", buildHook: "bhk_1" },
      build: {
        hook: { id: "bhk_1", title: "Nightly <b>" },
        title: "Rebuild after the CMS publish",
        ref: "release",
        target: { type: "github_workflow", repository: "acme/web", workflow: "deploy.yml" },
        ...build,
      },
    });

  it("titles it with the project, the hook and the ref built, not as a deploy", () => {
    expect(buildEmail(request()).subject).toBe(
      "[web] Build requested by hook Nightly <b> (release)",
    );
    // Without a ref of its own, the event's branch; without either, no parenthesis.
    expect(buildEmail(request({ ref: undefined })).subject).toBe(
      "[web] Build requested by hook Nightly <b> (main)",
    );
    expect(
      buildEmail({
        ...request({ ref: undefined, hook: { id: "bhk_2", title: "" } }),
        commit: undefined,
      }).subject,
    ).toBe("[web] Build requested by hook bhk_2");
  });

  it("names the hook, the title, the ref and what it starts in both parts, escaped in HTML", () => {
    const { text, html } = buildEmail(request());
    expect(text).toContain("Build hook: Nightly <b> (bhk_1)\n");
    expect(text).toContain("Title: Rebuild after the CMS publish\n");
    expect(text).toContain("Branch: release\n");
    expect(text).toContain("Starts: GitHub Actions acme/web deploy.yml\n");
    expect(text).not.toContain("Deploy");
    expect(html).toContain("Nightly &lt;b&gt; (bhk_1)");
    expect(html).not.toContain("<b>");
    const url = buildEmail(request({ target: { type: "url", origin: "https://ci.example" } }));
    expect(url.text).toContain("Starts: URL https://ci.example\n");
  });
});
