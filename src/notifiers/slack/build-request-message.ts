/**
 * The Slack message for a `build.requested` event: one line that says which hook asked for which
 * build ("Build requested by hook Nightly for web@main"), the trigger's title when it gave one,
 * and a context line with what the hook starts and when.
 *
 * Kept apart from `slack-message.ts` (which dispatches here) and self-contained, so the deploy
 * messages can change without this one. The same rules apply: every user-supplied text is
 * escaped for mrkdwn (a hook titled `<!channel>` must not ping anyone) and cut to Slack's limits.
 */
import type { BuildRequest, DeployEvent } from "../../events/deploy-event.js";
import { buildTargetText } from "../kit/build-target-text.js";
import type { SlackBlock, SlackMessage } from "./slack-message.js";

/** Emoji and words of the heading, as `SLACK_HEADINGS` lists them for `build.requested`. */
export const BUILD_REQUESTED_HEADING = { emoji: "🔨", words: "Build requested" } as const;

/** Names, titles and refs are cut well below Slack's section limit (3,000). */
const MAX_SHORT_TEXT = 200;
/** The fallback `text` and every section stay under Slack's section limit. */
const MAX_TEXT = 3000;

/** Escapes one character for mrkdwn (only `&`, `<` and `>` mean something there). */
function escapeChar(char: string): string {
  return char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char;
}

/**
 * The text on one line, escaped for mrkdwn and cut to at most `max` characters with "…", cut
 * after escaping and between characters, so the limit holds and no entity is split.
 */
function escaped(text: string, max = MAX_SHORT_TEXT): string {
  const line = text.replace(/\s+/g, " ").trim();
  const whole = line.replace(/[&<>]/g, escapeChar);
  if (whole.length <= max) return whole;
  let out = "";
  for (const char of line) {
    const piece = escapeChar(char);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** `web@main`, or `web` when no ref is built. */
function subject(event: DeployEvent, build: BuildRequest): string {
  const ref = build.ref ?? event.commit?.ref;
  return ref === undefined ? event.project.name : `${event.project.name}@${ref}`;
}

/** The time as Slack's `<!date>` token (each reader's own time zone), the ISO time as fallback. */
function timeText(occurredAt: string): string {
  const millis = Date.parse(occurredAt);
  const iso = escaped(occurredAt);
  return Number.isNaN(millis)
    ? iso
    : `<!date^${Math.floor(millis / 1000)}^{date_short_pretty} at {time_secs}|${iso}>`;
}

/** The message for a `build.requested` event that carries its `build`. */
export function buildRequestMessage(event: DeployEvent, build: BuildRequest): SlackMessage {
  const { emoji, words } = BUILD_REQUESTED_HEADING;
  const hook = escaped(build.hook.title || build.hook.id);
  const what = escaped(subject(event, build));
  const blocks: SlackBlock[] = [
    {
      type: "section",
      text: { type: "mrkdwn", text: `${emoji} *${words}* by hook *${hook}* for *${what}*` },
    },
  ];
  if (build.title !== undefined && build.title.trim() !== "") {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `*Title:* ${escaped(build.title, MAX_TEXT - 20)}` },
    });
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: [escaped(buildTargetText(build)), "Shipcast", timeText(event.occurredAt)].join(
          "  ·  ",
        ),
      },
    ],
  });
  const title = build.title?.trim() ? ` · ${escaped(build.title)}` : "";
  return { text: `${emoji} ${words} by hook ${hook} for ${what}${title}`, blocks };
}
