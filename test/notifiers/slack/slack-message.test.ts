import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ALERT_EVENT_KINDS,
  CHANGE_EVENT_KINDS,
  DEPLOY_EVENT_KINDS,
  type DeployEvent,
  type DeployEventKind,
  isIgnored,
} from "../../../src/events/deploy-event.js";
import {
  buildSlackMessage,
  escapeMrkdwn,
  SLACK_HEADINGS,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from "../../../src/notifiers/slack/slack-message.js";
import { normalizeNetlify } from "../../../src/sources/netlify-normalize.js";

function netlifyEvent(file: string): DeployEvent {
  const payload: unknown = JSON.parse(
    readFileSync(new URL(`../../fixtures/netlify/${file}`, import.meta.url), "utf8"),
  );
  const result = normalizeNetlify({ headers: {}, payload });
  if (isIgnored(result)) throw new Error(`fixture ${file} was ignored: ${result.reason}`);
  return result;
}

/** A complete deploy event; tests change what they are about. */
function deployEvent(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "gitlab",
    sourceEvent: "Deployment Hook",
    project: {
      name: "web-app",
      repository: {
        host: "gitlab",
        origin: "https://gitlab.example.com",
        fullPath: "acme/web-app",
        url: "https://gitlab.example.com/acme/web-app",
      },
    },
    environment: { name: "production", type: "PRODUCTION" },
    commit: {
      sha: "0123456789abcdef0123456789abcdef01234567",
      ref: "main",
      url: "https://gitlab.example.com/acme/web-app/-/commit/0123456789abcdef0123456789abcdef01234567",
      message: "Fix the login form\n\nLonger description.",
    },
    change: { number: 42, url: "https://gitlab.example.com/acme/web-app/-/merge_requests/42" },
    urls: {
      deploy: "https://web-app.example.com",
      logs: "https://gitlab.example.com/acme/web-app/-/jobs/7",
    },
    actor: "Ada Lovelace",
    occurredAt: "2024-05-01T12:00:00Z",
    ids: { deploy: "7" },
    ...overrides,
  };
}

function formEvent(fields: Record<string, unknown>, name = "contact"): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "form.submitted",
    source: "netlify",
    sourceEvent: "submission_created",
    project: { name: "dazzling-almeida-67ef75.netlify.app" },
    environment: { name: "production", type: "PRODUCTION" },
    urls: { deploy: "https://dazzling-almeida-67ef75.netlify.app" },
    occurredAt: "2024-05-01T12:00:00Z",
    ids: { deploy: "sub-1" },
    form: { name, fields },
  };
}

function headerOf(message: SlackMessage): string {
  const first = message.blocks[0];
  if (first?.type !== "header") throw new Error("the first block is not a header");
  return first.text.text;
}

/** Every mrkdwn text of the message, in order. */
function mrkdwnTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block): string[] => {
    if (block.type === "header") return [];
    if (block.type === "context") return block.elements.map((element) => element.text);
    return "fields" in block ? block.fields.map((f) => f.text) : [block.text.text];
  });
}

function fieldTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === "section" && "fields" in block ? block.fields.map((f) => f.text) : [],
  );
}

function fieldNamed(message: SlackMessage, title: string): string | undefined {
  return fieldTexts(message).find((text) => text.startsWith(`*${title}*\n`));
}

function allText(message: SlackMessage): string {
  return [message.text, headerOf(message), ...mrkdwnTexts(message)].join("\n");
}

/** Slack's documented limits, checked on any message. */
function expectWithinLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(message.text).not.toContain("\n");
  for (const block of message.blocks as SlackBlock[]) {
    if (block.type === "header") {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    } else if (block.type === "context") {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const element of block.elements) {
        expect(element.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      }
    } else if ("fields" in block) {
      expect(block.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const f of block.fields)
        expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    } else {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
  }
}

describe("buildSlackMessage for the real Netlify deploy-preview fixtures", () => {
  const succeeded = buildSlackMessage(netlifyEvent("deploy_created.deploy-preview.json"));
  const failed = buildSlackMessage(netlifyEvent("deploy_failed.deploy-preview.json"));

  it("headlines the state, site and context", () => {
    expect(headerOf(succeeded)).toBe(
      "✅ Deploy succeeded: dazzling-almeida-67ef75 (deploy-preview)",
    );
    expect(headerOf(failed)).toBe("❌ Deploy failed: dazzling-almeida-67ef75 (deploy-preview)");
  });

  it("lists project, environment with its type, branch, linked short sha and the PR", () => {
    expect(fieldNamed(succeeded, "Project")).toBe("*Project*\ndazzling-almeida-67ef75");
    expect(fieldNamed(succeeded, "Environment")).toBe("*Environment*\ndeploy-preview (preview)");
    expect(fieldNamed(succeeded, "Branch")).toBe("*Branch*\ndev");
    expect(fieldNamed(succeeded, "Commit")).toBe(
      "*Commit*\n<https://github.com/jd-ftf/test/commit/2bf6019eab7035beccc013d641445f9bb1006083|2bf6019>\nnothing: test",
    );
    expect(fieldNamed(succeeded, "PR")).toBe("*PR*\n<https://github.com/jd-ftf/test/pull/6|#6>");
    expect(fieldNamed(succeeded, "Repository")).toBe(
      "*Repository*\n<https://github.com/jd-ftf/test|jd-ftf/test>",
    );
  });

  it("omits the actor, which Netlify sends as null", () => {
    expect(fieldNamed(succeeded, "Triggered by")).toBeUndefined();
    expect(allText(succeeded)).not.toContain("null");
    expect(allText(succeeded)).not.toContain("undefined");
  });

  it("links the deploy, its log and the admin page", () => {
    const texts = mrkdwnTexts(succeeded);
    const links = texts.find((text) => text.includes("Build log"));
    expect(links).toContain(
      "<https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com/|Open deploy>",
    );
    expect(links).toContain(
      "<https://app.netlify.com/sites/dazzling-almeida-67ef75/deploys/5e16ac7f51b7d7ff11a64eae|Build log>",
    );
    expect(links).toContain("<https://app.netlify.com/sites/dazzling-almeida-67ef75|Admin>");
  });

  it("quotes the error of a failed deploy in a code block, and only then", () => {
    expect(mrkdwnTexts(failed)).toContain(
      "*Error*\n```failed during stage 'building site': Build script returned non-zero exit code: 1```",
    );
    expect(mrkdwnTexts(succeeded).some((text) => text.startsWith("*Error*"))).toBe(false);
  });

  it("ends with a context line naming the source, the event and the time", () => {
    const last = succeeded.blocks.at(-1);
    expect(last?.type).toBe("context");
    const context = mrkdwnTexts(succeeded).at(-1);
    expect(context).toContain("Netlify");
    expect(context).toContain("deploy_created");
    expect(context).toContain(
      `<!date^${Math.floor(Date.parse("2020-01-09T04:31:31.072Z") / 1000)}^{date_short_pretty} at {time_secs}|2020-01-09T04:31:31.072Z>`,
    );
  });

  it("has a one-line fallback with state, project, environment, branch@sha7 and deploy URL", () => {
    expect(succeeded.text).toBe(
      "✅ Deploy succeeded: dazzling-almeida-67ef75 (deploy-preview) · dev@2bf6019 · https://deploy-preview-6--dazzling-almeida-67ef75.netlify.com",
    );
  });

  it("never carries Netlify's live log token", () => {
    const raw = readFileSync(
      new URL("../../fixtures/netlify/deploy_created.deploy-preview.json", import.meta.url),
      "utf8",
    );
    const token = (JSON.parse(raw) as { log_access_attributes: { token: string } })
      .log_access_attributes.token;
    expect(JSON.stringify(succeeded)).not.toContain(token);
  });
});

describe("buildSlackMessage headings", () => {
  const expected: Record<DeployEventKind, string> = {
    "deploy.started": "⏳ Deploy started: web-app (production)",
    "deploy.succeeded": "✅ Deploy succeeded: web-app (production)",
    "deploy.failed": "❌ Deploy failed: web-app (production)",
    "deploy.cancelled": "🚫 Deploy cancelled: web-app (production)",
    "deploy.locked": "🔒 Deploy locked: web-app (production)",
    "deploy.unlocked": "🔓 Deploy unlocked: web-app (production)",
    "form.submitted": "📝 Form submission: contact",
    "build.requested": "🔨 Build requested: web-app (production)",
  };

  it.each(DEPLOY_EVENT_KINDS)("gives %s its own emoji and words", (kind) => {
    const event = kind === "form.submitted" ? formEvent({ email: "a@b.c" }) : deployEvent({ kind });
    const message = buildSlackMessage(event);
    expect(headerOf(message)).toBe(expected[kind]);
    expect(message.text.startsWith(expected[kind])).toBe(true);
    expectWithinLimits(message);
  });

  it("uses a distinct emoji per kind", () => {
    const emojis = Object.values(SLACK_HEADINGS).map((heading) => heading.emoji);
    expect(new Set(emojis).size).toBe(
      DEPLOY_EVENT_KINDS.length + ALERT_EVENT_KINDS.length + CHANGE_EVENT_KINDS.length,
    );
  });
});

describe("buildSlackMessage deploy fields", () => {
  it("calls a GitLab change an MR and names the actor", () => {
    const message = buildSlackMessage(deployEvent());
    expect(fieldNamed(message, "MR")).toBe(
      "*MR*\n<https://gitlab.example.com/acme/web-app/-/merge_requests/42|#42>",
    );
    expect(fieldNamed(message, "Triggered by")).toBe("*Triggered by*\nAda Lovelace");
    expect(fieldNamed(message, "Environment")).toBe("*Environment*\nproduction");
    // Only the commit title's first line.
    expect(fieldNamed(message, "Commit")).toMatch(/\|0123456>\nFix the login form$/);
  });

  it("leaves out what the event does not know instead of showing it empty", () => {
    const message = buildSlackMessage(
      deployEvent({
        project: { name: "manual-site" },
        commit: undefined,
        change: undefined,
        actor: undefined,
        urls: {},
      }),
    );
    expect(fieldTexts(message).map((text) => text.split("\n")[0])).toEqual([
      "*Project*",
      "*Environment*",
    ]);
    expect(mrkdwnTexts(message).some((text) => text.includes("Build log"))).toBe(false);
    expect(message.text).toBe("✅ Deploy succeeded: manual-site (production)");
  });

  it("shows a commit without URL as the bare short sha", () => {
    const message = buildSlackMessage(
      deployEvent({ commit: { sha: "abcdef0123456789abcdef0123456789abcdef01" } }),
    );
    expect(fieldNamed(message, "Commit")).toBe("*Commit*\nabcdef0");
    expect(fieldNamed(message, "Branch")).toBeUndefined();
    expect(message.text).toContain(" · abcdef0 · ");
  });

  it("says PR/MR when neither the repository nor the URL tells which", () => {
    const message = buildSlackMessage(
      deployEvent({ project: { name: "x" }, change: { number: 3 } }),
    );
    expect(fieldNamed(message, "PR/MR")).toBe("*PR/MR*\n#3");
  });
});

describe("buildSlackMessage escaping and links", () => {
  it("escapes &, < and > in user-supplied text so it cannot mention or link", () => {
    const message = buildSlackMessage(
      deployEvent({
        kind: "deploy.failed",
        project: { name: "a&b <!channel>" },
        commit: { ref: "feat/<@U123>", sha: "0123456789abcdef0123456789abcdef01234567" },
        actor: "<script>",
        error: "expected <div> & got <span>",
      }),
    );
    const mrkdwn = [message.text, ...mrkdwnTexts(message)].join("\n");
    expect(mrkdwn).not.toContain("<!channel>");
    expect(mrkdwn).not.toContain("<@U123>");
    expect(fieldNamed(message, "Project")).toBe("*Project*\na&amp;b &lt;!channel&gt;");
    expect(fieldNamed(message, "Branch")).toBe("*Branch*\nfeat/&lt;@U123&gt;");
    expect(fieldNamed(message, "Triggered by")).toBe("*Triggered by*\n&lt;script&gt;");
    expect(mrkdwnTexts(message)).toContain(
      "*Error*\n```expected &lt;div&gt; &amp; got &lt;span&gt;```",
    );
    expect(message.text).toContain("a&amp;b &lt;!channel&gt;");
    // The header is plain_text, which Slack shows literally: escaping would show "&amp;".
    expect(headerOf(message)).toBe("❌ Deploy failed: a&b <!channel> (production)");
  });

  it("does not link javascript: or other non-http(s) URLs", () => {
    const message = buildSlackMessage(
      deployEvent({
        commit: {
          sha: "0123456789abcdef0123456789abcdef01234567",
          url: "javascript:alert(1)",
        },
        change: { number: 5, url: "javascript:alert(document.cookie)" },
        urls: { deploy: "javascript:alert(2)", logs: "file:///etc/passwd", admin: "not a url" },
      }),
    );
    const text = allText(message);
    expect(text).not.toContain("javascript:");
    expect(text).not.toContain("file:");
    expect(fieldNamed(message, "Commit")).toBe("*Commit*\n0123456");
    expect(fieldNamed(message, "MR")).toBe("*MR*\n#5");
    expect(mrkdwnTexts(message).some((t) => t.includes("Build log"))).toBe(false);
  });

  it("keeps a URL's | and & from breaking the <url|label> syntax", () => {
    const message = buildSlackMessage(
      deployEvent({ urls: { deploy: "https://example.com/a|b?x=1&y=<2>" } }),
    );
    const links = mrkdwnTexts(message).find((text) => text.includes("Open deploy"));
    expect(links).toBe("<https://example.com/a%7Cb?x=1&amp;y=%3C2%3E|Open deploy>");
  });

  it("escapes the three characters Slack decodes, and no others", () => {
    expect(escapeMrkdwn(`a & b < c > d "e" 'f' *g*`)).toBe(`a &amp; b &lt; c &gt; d "e" 'f' *g*`);
  });
});

describe("buildSlackMessage limits", () => {
  it("cuts a huge error message to the section limit with …", () => {
    const error = `${"<".repeat(2000)}${"x".repeat(50_000)}`;
    const message = buildSlackMessage(deployEvent({ kind: "deploy.failed", error }));
    expectWithinLimits(message);
    const errorText = mrkdwnTexts(message).find((text) => text.startsWith("*Error*"));
    expect(errorText).toMatch(/…```$/);
    // Cut between entities, never inside one.
    expect(errorText).not.toMatch(/&(?!lt;|gt;|amp;)/);
    expect(errorText?.length).toBeGreaterThan(SLACK_LIMITS.sectionText - 10);
  });

  it("defuses backtick fences inside the error so the code block stays closed", () => {
    const message = buildSlackMessage(
      deployEvent({ kind: "deploy.failed", error: "npm ERR!\n```\nstack\n```" }),
    );
    expect(mrkdwnTexts(message)).toContain("*Error*\n```npm ERR!\n'''\nstack\n'''```");
  });

  it("cuts long names in the header to 150 characters and the fallback to one line", () => {
    const name = `site-${"n".repeat(400)}`;
    const message = buildSlackMessage(
      deployEvent({ project: { name }, commit: { ref: "a\nb", sha: "0".repeat(40) } }),
    );
    expectWithinLimits(message);
    expect(headerOf(message)).toHaveLength(SLACK_LIMITS.headerText);
    expect(headerOf(message).endsWith("…")).toBe(true);
    expect(message.text).toContain("a b@0000000");
  });

  it("does not split an emoji when cutting", () => {
    const message = buildSlackMessage(deployEvent({ project: { name: "🚀".repeat(200) } }));
    const header = headerOf(message);
    expect(header.endsWith("…")).toBe(true);
    expect(header).not.toMatch(/[\uD800-\uDBFF]…$/);
    expect(Buffer.from(header, "utf8").toString("utf8")).toBe(header);
  });

  it("keeps a form with many long fields within 50 blocks and counts the rest", () => {
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) fields[`field_${i}`] = `${i}:${"v".repeat(2000)}`;
    const message = buildSlackMessage(formEvent(fields));
    expectWithinLimits(message);
    const texts = mrkdwnTexts(message);
    expect(texts.some((text) => /_…and \d+ more fields_/.test(text))).toBe(true);
    expect(texts.join("\n")).toContain(`*field_0:* 0:${"v".repeat(100)}`);
  });
});

describe("buildSlackMessage for form submissions", () => {
  const message = buildSlackMessage(
    formEvent({
      name: "Grace <Hopper>",
      email: "grace@example.com",
      message: "Hello\nthere",
      topics: ["billing", "support"],
      consent: true,
      age: 42,
      phone: "",
      company: null,
    }),
  );

  it("headlines the form name and lists the filled fields, values stringified", () => {
    expect(headerOf(message)).toBe("📝 Form submission: contact");
    const list = mrkdwnTexts(message)[0];
    expect(list).toBe(
      [
        "*name:* Grace &lt;Hopper&gt;",
        "*email:* grace@example.com",
        "*message:* Hello\nthere",
        '*topics:* ["billing","support"]',
        "*consent:* true",
        "*age:* 42",
      ].join("\n"),
    );
  });

  it("names the site and source in the context line and in the fallback", () => {
    const context = mrkdwnTexts(message).at(-1);
    expect(context).toContain("Netlify");
    expect(context).toContain(
      "<https://dazzling-almeida-67ef75.netlify.app/|dazzling-almeida-67ef75.netlify.app>",
    );
    expect(message.text).toBe("📝 Form submission: contact · dazzling-almeida-67ef75.netlify.app");
  });

  it("says so when no field was filled in", () => {
    const empty = buildSlackMessage(formEvent({ a: "", b: null }));
    expect(mrkdwnTexts(empty)[0]).toBe("_No fields were filled in._");
  });
});
