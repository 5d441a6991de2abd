import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type DeployEvent,
  isIgnored,
  MalformedEventError,
  type NormalizeOptions,
  type NormalizeResult,
} from "../../src/events/deploy-event.js";
import { netlifyEventName, normalizeNetlify } from "../../src/sources/netlify-normalize.js";

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/netlify/${name}`, import.meta.url), "utf8"),
  ) as Json;
}

const created = () => fixture("deploy_created.deploy-preview.json");
const failed = () => fixture("deploy_failed.deploy-preview.json");

function tokenOf(payload: Json): string {
  const attributes = payload.log_access_attributes as { token?: unknown } | undefined;
  if (typeof attributes?.token !== "string") throw new Error("fixture has no log token");
  return attributes.token;
}

function normalize(payload: unknown, event?: string, options?: NormalizeOptions): NormalizeResult {
  const headers: Record<string, string> = event === undefined ? {} : { "x-netlify-event": event };
  return normalizeNetlify({ headers, payload }, options);
}

function expectEvent(result: NormalizeResult): DeployEvent {
  if (isIgnored(result)) throw new Error(`expected an event, got ignored: ${result.reason}`);
  return result;
}

/**
 * A Netlify form-submission notification (`submission_created`), synthetic but shaped like the
 * bodies Netlify sends: top-level summary fields, the raw fields in `data`, and site metadata.
 */
const SUBMISSION: Json = {
  number: 3,
  title: "Ada Lovelace",
  email: "ada@example.com",
  name: "Ada Lovelace",
  first_name: "Ada",
  last_name: "Lovelace",
  company: null,
  summary: "<strong>Ada Lovelace</strong> I would like a demo of the analytical engine.",
  body: "I would like a demo of the analytical engine.",
  data: {
    name: "Ada Lovelace",
    email: "ada@example.com",
    message: "I would like a demo of the analytical engine.",
    ip: "203.0.113.7",
    user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    referrer: "https://dazzling-almeida-67ef75.netlify.app/contact/",
  },
  created_at: "2024-05-14T09:12:31.517Z",
  human_fields: {
    Name: "Ada Lovelace",
    Email: "ada@example.com",
    Message: "I would like a demo of the analytical engine.",
  },
  ordered_human_fields: [
    { title: "Name", name: "name", value: "Ada Lovelace" },
    { title: "Email", name: "email", value: "ada@example.com" },
    { title: "Message", name: "message", value: "I would like a demo of the analytical engine." },
  ],
  id: "6643aa0f4b2f3c0008a1b2c3",
  form_id: "6643a9e27c1d2a0008d4e5f6",
  site_url: "https://dazzling-almeida-67ef75.netlify.app",
  site_id: "85faa38c-2fb5-4763-8302-5be9c42a0119",
  form_name: "contact",
};

describe("normalizeNetlify: deploy notifications", () => {
  it("maps the deploy_created preview fixture to deploy.succeeded with sha, PR 6 and repository", () => {
    expect(normalize(created(), "deploy_created")).toEqual({
      schemaVersion: 1,
      kind: "deploy.succeeded",
      source: "netlify",
      sourceEvent: "deploy_created",
      project: {
        name: "dazzling-almeida-67ef75",
        id: "85faa38c-2fb5-4763-8302-5be9c42a0119",
        repository: {
          host: "github",
          origin: "https://github.com",
          fullPath: "jd-ftf/test",
          url: "https://github.com/jd-ftf/test",
        },
      },
      environment: { name: "deploy-preview", type: "PREVIEW" },
      commit: {
        sha: "2bf6019eab7035beccc013d641445f9bb1006083",
        ref: "dev",
        url: "https://github.com/jd-ftf/test/commit/2bf6019eab7035beccc013d641445f9bb1006083",
        message: "nothing: test",
      },
      change: { number: 6, url: "https://github.com/jd-ftf/test/pull/6" },
      urls: {
        deploy: "https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com",
        logs: "https://app.netlify.com/sites/dazzling-almeida-67ef75/deploys/5e16ac7f51b7d7ff11a64eae",
        admin: "https://app.netlify.com/sites/dazzling-almeida-67ef75",
      },
      occurredAt: "2020-01-09T04:31:31.072Z",
      ids: { deploy: "5e16ac7f51b7d7ff11a64eae", build: "5e16ac7f51b7d7ff11a64eaf" },
    });
  });

  it("maps a failed Netlify deploy to deploy.failed with its error message", () => {
    const event = expectEvent(normalize(failed(), "deploy_failed"));
    expect(event.kind).toBe("deploy.failed");
    expect(event.error).toBe(
      "failed during stage 'building site': Build script returned non-zero exit code: 1",
    );
    expect(event.commit?.sha).toBe("2bf6019eab7035beccc013d641445f9bb1006083");
    expect(event.change).toEqual({ number: 6, url: "https://github.com/jd-ftf/test/pull/6" });
    expect(event.ids.deploy).toBe("5e16fd8f7a376a1a95d6cf9c");
  });

  it.each([
    ["ready", created, "deploy.succeeded"],
    ["error", failed, "deploy.failed"],
  ])("derives the event from state %s when the header is missing", (_, load, kind) => {
    expect(expectEvent(normalize(load())).kind).toBe(kind);
  });

  it.each(["building", "enqueued"])("maps a deploy in state %s to deploy.started", (state) => {
    const event = expectEvent(normalize({ ...created(), state }));
    expect(event.kind).toBe("deploy.started");
    expect(event.sourceEvent).toBe("deploy_building");
  });

  it("maps the deploy_building header to deploy.started without an error", () => {
    const payload = { ...failed(), state: "building" };
    const event = expectEvent(normalize(payload, "deploy_building"));
    expect(event.kind).toBe("deploy.started");
    expect(event.error).toBeUndefined();
  });

  it("lets the header win over the body's state", () => {
    expect(expectEvent(normalize(created(), "deploy_building")).kind).toBe("deploy.started");
    expect(expectEvent(normalize({ ...created(), state: "building" }, "deploy_created")).kind).toBe(
      "deploy.succeeded",
    );
  });

  it.each([
    ["deploy_locked", "deploy.locked", true],
    ["deploy_unlocked", "deploy.unlocked", false],
  ])("maps %s to %s", (header, kind, locked) => {
    const event = expectEvent(normalize({ ...created(), context: "production", locked }, header));
    expect(event.kind).toBe(kind);
    expect(event.sourceEvent).toBe(header);
    expect(event.environment).toEqual({ name: "production", type: "PRODUCTION" });
  });

  it.each(["deploy_deleted", "deploy_request_pending"])(
    "ignores the %s event, naming it",
    (header) => {
      expect(normalize(created(), header)).toEqual({
        ignored: true,
        reason: `netlify event "${header}" is not a deploy event`,
      });
    },
  );

  it.each(["new", "uploading", "processing", "prepared"])(
    "ignores a body in state %s without an event header",
    (state) => {
      expect(normalize({ ...created(), state })).toEqual({
        ignored: true,
        reason: `netlify deploy state "${state}" is not mapped`,
      });
    },
  );

  it.each([
    ["production", "PRODUCTION"],
    ["deploy-preview", "PREVIEW"],
    ["branch-deploy", "DEVELOPMENT"],
    ["staging", "STAGING"],
    ["dev", "DEVELOPMENT"],
  ])("types context %s as %s", (context, type) => {
    expect(expectEvent(normalize({ ...created(), context })).environment).toEqual({
      name: context,
      type,
    });
  });

  it("reports no error for a succeeded deploy even when error_message is set", () => {
    const payload = { ...created(), error_message: "Deploy was superseded" };
    expect(expectEvent(normalize(payload, "deploy_created")).error).toBeUndefined();
  });

  it("takes the actor from committer and the deploy URL from the first URL present", () => {
    const payload = { ...created(), committer: "jd", deploy_ssl_url: null, deploy_url: null };
    const event = expectEvent(normalize(payload));
    expect(event.actor).toBe("jd");
    expect(event.urls.deploy).toBe("https://dazzling-almeida-67ef75.netlify.com");
  });

  it("leaves commit, repository and change undefined for a manual deploy", () => {
    const payload = {
      ...created(),
      context: "production",
      commit_ref: null,
      commit_url: null,
      branch: null,
      title: null,
      review_id: null,
      review_url: null,
      manual_deploy: true,
    };
    const event = expectEvent(normalize(payload));
    expect(event.commit).toBeUndefined();
    expect(event.project.repository).toBeUndefined();
    expect(event.change).toBeUndefined();
  });

  it("falls back to created_at and omits the log link without admin_url", () => {
    const event = expectEvent(normalize({ ...created(), updated_at: null, admin_url: null }));
    expect(event.occurredAt).toBe("2020-01-09T04:30:55.397Z");
    expect(event.urls.logs).toBeUndefined();
    expect(event.urls.admin).toBeUndefined();
  });
});

describe("normalizeNetlify: repository from commit_url", () => {
  const sha = "2bf6019eab7035beccc013d641445f9bb1006083";
  const withCommitUrl = (commit_url: string, options?: NormalizeOptions) =>
    expectEvent(normalize({ ...created(), commit_url }, "deploy_created", options)).project
      .repository;

  it("recognises a gitlab.com commit URL with a nested group", () => {
    expect(withCommitUrl(`https://gitlab.com/acme/web/site/-/commit/${sha}`)).toEqual({
      host: "gitlab",
      origin: "https://gitlab.com",
      fullPath: "acme/web/site",
      url: "https://gitlab.com/acme/web/site",
    });
  });

  it("recognises a self-managed GitLab by the /-/commit/ shape of its URL", () => {
    expect(withCommitUrl(`https://git.example.com/team/app/-/commit/${sha}`)).toEqual({
      host: "gitlab",
      origin: "https://git.example.com",
      fullPath: "team/app",
      url: "https://git.example.com/team/app",
    });
  });

  it("uses the configured GitLab hosts for the legacy /commit/ URL shape", () => {
    const options = { githubHosts: ["github.com"], gitlabHosts: ["gitlab.com", "git.example.com"] };
    expect(withCommitUrl(`https://git.example.com/team/app/commit/${sha}`, options)).toMatchObject({
      host: "gitlab",
      fullPath: "team/app",
    });
  });

  it("uses the configured GitHub Enterprise hosts", () => {
    const options = { githubHosts: ["github.com", "GHE.example.com"], gitlabHosts: ["gitlab.com"] };
    expect(withCommitUrl(`https://ghe.example.com/org/repo/commit/${sha}`, options)).toEqual({
      host: "github",
      origin: "https://ghe.example.com",
      fullPath: "org/repo",
      url: "https://ghe.example.com/org/repo",
    });
  });

  it.each([
    `https://bitbucket.org/team/app/commits/${sha}`,
    `https://ghe.example.com/org/repo/commit/${sha}`,
    "not a url",
    "https://github.com/only-owner",
  ])("gives no repository for %s", (commitUrl) => {
    expect(withCommitUrl(commitUrl)).toBeUndefined();
  });
});

describe("normalizeNetlify: the log access token", () => {
  it.each([
    ["deploy_created", created],
    ["deploy_failed", failed],
    ["deploy_building", created],
    ["deploy_locked", created],
    ["deploy_unlocked", failed],
    [undefined, failed],
  ])("leaves log_access_attributes and its token out of a %s event", (event, load) => {
    const payload = load();
    const serialized = JSON.stringify(normalize(payload, event));
    expect(serialized).not.toContain(tokenOf(payload));
    expect(serialized).not.toContain("log_access_attributes");
    expect(serialized).not.toContain("firebaseio.com");
  });
});

describe("normalizeNetlify: form submissions", () => {
  it("maps submission_created to form.submitted with the form's fields", () => {
    expect(normalize(structuredClone(SUBMISSION), "submission_created")).toEqual({
      schemaVersion: 1,
      kind: "form.submitted",
      source: "netlify",
      sourceEvent: "submission_created",
      project: {
        name: "dazzling-almeida-67ef75.netlify.app",
        id: "85faa38c-2fb5-4763-8302-5be9c42a0119",
      },
      environment: { name: "production", type: "PRODUCTION" },
      urls: { deploy: "https://dazzling-almeida-67ef75.netlify.app" },
      occurredAt: "2024-05-14T09:12:31.517Z",
      ids: { deploy: "6643aa0f4b2f3c0008a1b2c3", form: "6643a9e27c1d2a0008d4e5f6" },
      form: { name: "contact", fields: SUBMISSION.data },
    });
  });

  it("recognises a form submission by its shape when the header is missing", () => {
    expect(expectEvent(normalize(structuredClone(SUBMISSION))).kind).toBe("form.submitted");
  });

  it("takes the project name from data.site_url when the body has no site_url", () => {
    const payload = structuredClone(SUBMISSION);
    delete payload.site_url;
    payload.data = { ...(payload.data as Json), site_url: "https://www.example.org/" };
    expect(expectEvent(normalize(payload, "submission_created")).project.name).toBe(
      "www.example.org",
    );
  });
});

describe("netlifyEventName", () => {
  it.each<[string, Record<string, string>, unknown, string | undefined]>([
    ["the header", { "x-netlify-event": "deploy_failed" }, { state: "ready" }, "deploy_failed"],
    [
      "the header, trimmed and lower-cased",
      { "x-netlify-event": " Deploy_Locked " },
      {},
      "deploy_locked",
    ],
    ["state building", {}, { state: "building" }, "deploy_building"],
    ["state enqueued", {}, { state: "enqueued" }, "deploy_building"],
    ["state ready", {}, { state: "ready" }, "deploy_created"],
    ["state error", {}, { state: "error" }, "deploy_failed"],
    ["an unknown state", {}, { state: "uploading" }, undefined],
    ["a form submission body", {}, { form_name: "contact", data: {} }, "submission_created"],
    ["an empty header", { "x-netlify-event": "" }, { state: "ready" }, "deploy_created"],
    ["a non-object body", {}, "state=ready", undefined],
    ["null", {}, null, undefined],
  ])("resolves %s", (_, headers, payload, expected) => {
    expect(netlifyEventName(headers, payload)).toBe(expected);
  });
});

describe("normalizeNetlify: malformed input", () => {
  const without = (key: string) => {
    const payload = created();
    delete payload[key];
    return payload;
  };

  it.each<[string, unknown, string | undefined, RegExp]>([
    ["null", null, "deploy_created", /netlify payload must be a JSON object, got null/],
    ["an array", [created()], "deploy_created", /got array/],
    ["a string", "state=ready", undefined, /got string/],
    ["a boolean", true, "deploy_failed", /got boolean/],
    ["a deploy without id", without("id"), "deploy_created", /\bid must be an id/],
    [
      "a deploy without name",
      without("name"),
      "deploy_created",
      /\bname must be a non-empty string/,
    ],
    ["a deploy without context", without("context"), "deploy_created", /context/],
    [
      "a deploy with a bad time",
      { ...created(), updated_at: "Thursday" },
      undefined,
      /updated_at is not a recognised timestamp/,
    ],
    [
      "a deploy without times",
      { ...created(), updated_at: null, created_at: null },
      undefined,
      /timestamp/,
    ],
    [
      "a submission without data",
      { ...SUBMISSION, data: "x" },
      "submission_created",
      /data must be an object/,
    ],
    [
      "a submission without form_name",
      { ...SUBMISSION, form_name: null },
      "submission_created",
      /form_name/,
    ],
    [
      "a submission without site URL",
      { ...SUBMISSION, site_url: "nowhere" },
      "submission_created",
      /site_url/,
    ],
  ])("rejects %s with MalformedEventError", (_, payload, event, message) => {
    expect(() => normalize(payload, event)).toThrow(MalformedEventError);
    expect(() => normalize(payload, event)).toThrow(message);
  });

  it("names the event in the message", () => {
    expect(() => normalize(without("name"), "deploy_created")).toThrow(
      /^netlify "deploy_created" event: name must be a non-empty string, got undefined$/,
    );
  });
});
