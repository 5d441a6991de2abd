import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { buildSlackMessage, SLACK_LIMITS } from "../../../src/notifiers/slack/slack-message.js";

function buildEvent(overrides: Partial<NonNullable<DeployEvent["build"]>> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "build.requested",
    source: "shipcast",
    sourceEvent: "build_hook",
    project: { name: "web" },
    environment: { name: "production", type: "PRODUCTION" },
    commit: { ref: "main" },
    urls: {},
    occurredAt: "2026-11-30T03:00:00.000Z",
    ids: { trigger: "evt_1", buildHook: "bhk_1" },
    build: {
      hook: { id: "bhk_1", title: "Nightly" },
      ref: "main",
      target: { type: "github_workflow", repository: "acme/web", workflow: "deploy.yml" },
      ...overrides,
    },
  };
}

describe("the Slack message of a build request", () => {
  it('says "Build requested by hook Nightly for web@main"', () => {
    const message = buildSlackMessage(buildEvent());
    expect(message.text).toBe("🔨 Build requested by hook Nightly for web@main");
    expect(message.blocks[0]).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: "🔨 *Build requested* by hook *Nightly* for *web@main*" },
    });
    const context = JSON.stringify(message.blocks.at(-1));
    expect(context).toContain("GitHub Actions acme/web deploy.yml");
    expect(context).toContain("<!date^1796007600^");
  });

  it("adds the trigger's title, and escapes what could ping a channel", () => {
    const message = buildSlackMessage(
      buildEvent({ hook: { id: "bhk_1", title: "<!channel> & co" }, title: "Deploy <!here>" }),
    );
    const text = JSON.stringify(message);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<!here>");
    expect(message.text).toBe(
      "🔨 Build requested by hook &lt;!channel&gt; &amp; co for web@main · Deploy &lt;!here&gt;",
    );
    expect(message.blocks).toHaveLength(3);
  });

  it.each(["x", "<"])("keeps a long title of %s within Slack's section limit", (char) => {
    const message = buildSlackMessage(buildEvent({ title: char.repeat(10_000) }));
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    for (const block of message.blocks) {
      if (block.type === "section" && "text" in block) {
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      }
    }
  });
});
