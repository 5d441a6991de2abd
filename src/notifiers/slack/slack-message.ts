/**
 * The Slack Block Kit message for a `DeployEvent` (REFERENCE.md, "Outputs": Slack incoming
 * webhook). Pure: same event, same message, no I/O, so it is tested without a network.
 *
 * Everything an event carries is user-supplied (project names, branches, commit titles, error
 * logs, form fields), so all of it goes through `escapeMrkdwn` before it reaches a mrkdwn text:
 * an unescaped `<!channel>` in a branch name would otherwise ping a whole channel. Links are only
 * built from http(s) URLs. Every text is cut to Slack's limits with "…", because Slack rejects the
 * whole message (400 `invalid_blocks`) when one block is too long, and a notification with a
 * shortened error beats none.
 */
import type {
  DeployEvent,
  EventKind,
  EventSource,
  HealthAlert,
} from "../../events/deploy-event.js";
import { BUILD_REQUESTED_HEADING, buildRequestMessage } from "./build-request-message.js";

/** Slack's Block Kit limits this module respects (characters unless said otherwise). */
export const SLACK_LIMITS = {
  /** Blocks per message. */
  blocks: 50,
  /** `plain_text` of a header block. */
  headerText: 150,
  /** `text` of a section block. */
  sectionText: 3000,
  /** Fields per section block. */
  sectionFields: 10,
  /** Text of one section field. */
  fieldText: 2000,
  /** Elements per context block. */
  contextElements: 10,
  /** The top-level `text`, the notification fallback (Slack's own cap is higher; kept short). */
  fallbackText: 3000,
} as const;

/** A `plain_text` text object (headers): shown literally, never parsed, so never escaped. */
export interface SlackPlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}

/** A `mrkdwn` text object: its user-supplied parts are escaped with `escapeMrkdwn`. */
export interface SlackMrkdwn {
  type: "mrkdwn";
  text: string;
}

/** The Block Kit blocks this module builds (a subset of `@slack/types`' `KnownBlock`). */
export type SlackBlock =
  | { type: "header"; text: SlackPlainText }
  | { type: "section"; text: SlackMrkdwn }
  | { type: "section"; fields: SlackMrkdwn[] }
  | { type: "context"; elements: SlackMrkdwn[] };

/** An incoming-webhook message: `text` is the one-line fallback shown in notifications. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/**
 * Emoji and words per event kind. One distinct emoji each, so a channel can be scanned by
 * colour: ⏳ for started (in progress, where 🚀 would read as "shipped"), ✅ succeeded, ❌ failed,
 * 🚫 cancelled, 🔒/🔓 for Netlify's deploy (un)locking, 📝 for form submissions.
 */
export const SLACK_HEADINGS: Readonly<Record<EventKind, { emoji: string; words: string }>> = {
  "deploy.started": { emoji: "⏳", words: "Deploy started" },
  "deploy.succeeded": { emoji: "✅", words: "Deploy succeeded" },
  "deploy.failed": { emoji: "❌", words: "Deploy failed" },
  "deploy.cancelled": { emoji: "🚫", words: "Deploy cancelled" },
  "deploy.locked": { emoji: "🔒", words: "Deploy locked" },
  "deploy.unlocked": { emoji: "🔓", words: "Deploy unlocked" },
  "form.submitted": { emoji: "📝", words: "Form submission" },
  "build.requested": BUILD_REQUESTED_HEADING,
  "notification.paused": { emoji: "⏸️", words: "Notification paused" },
  "notification.disabled": { emoji: "⛔", words: "Notification disabled" },
  "notification.recovered": { emoji: "💚", words: "Notification recovered" },
  // Not sent to Slack (the notifier does not accept it); named so that every kind has words.
  "change.closed": { emoji: "🔀", words: "Pull request closed" },
};

const SOURCE_NAMES: Readonly<Record<EventSource, string>> = {
  github: "GitHub",
  gitlab: "GitLab",
  netlify: "Netlify",
  bitrise: "Bitrise",
  qovery: "Qovery",
  generic: "Webhook",
  shipcast: "Shipcast",
};

/** Longest URL turned into a link; a longer one would crowd out the rest of a field or line. */
const MAX_LINK_URL = 900;
/** Short values (names, branches, labels) are cut well below the field limit. */
const MAX_SHORT_TEXT = 200;
/** One form value; the rest of the message deserves room too. */
const MAX_FORM_VALUE = 500;
/** Form fields listed before "…and N more". */
const MAX_FORM_FIELDS = 100;

/**
 * Escapes the three characters Slack's mrkdwn gives meaning to (`&`, `<`, `>`), and nothing
 * else: Slack decodes only these three entities, so escaping more would show up literally.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : "&gt;",
  );
}

/**
 * Cuts `text` to at most `max` UTF-16 units, ending in "…" when cut, without splitting a
 * surrogate pair (half an emoji would make the JSON invalid UTF-8 for Slack).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * Escapes `text` for mrkdwn and cuts the result to at most `max` units. Cutting after escaping
 * (rather than escaping a cut text) is what keeps the limit exact, and going character by
 * character never leaves half an entity (`&am…`) behind.
 */
export function escapeWithin(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let out = "";
  for (const char of text) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** Collapses newlines and runs of spaces, for one-line texts (header, fallback, field values). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * The URL to put in a link, or undefined when it must not be linked: anything but http(s)
 * (`javascript:`, `file:`, `slack:` deep links…), unparsable, or too long. `|` and `>` would end
 * Slack's `<url|label>` syntax early, so they are percent-encoded, and `&` is escaped like
 * everywhere else in mrkdwn.
 */
export function linkableUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  const href = escapeMrkdwn(
    parsed.href.replace(/\|/g, "%7C").replace(/</g, "%3C").replace(/>/g, "%3E"),
  );
  return href.length <= MAX_LINK_URL ? href : undefined;
}

/** `<url|label>` when the URL may be linked, else the label alone. `label` is raw text. */
function link(url: string | undefined, label: string): string {
  const text = escapeWithin(oneLine(label), MAX_SHORT_TEXT);
  const href = linkableUrl(url);
  return href === undefined ? text : `<${href}|${text}>`;
}

/** A field: bold title, value below; the value is already mrkdwn. */
function field(title: string, value: string): SlackMrkdwn {
  return { type: "mrkdwn", text: truncate(`*${title}*\n${value}`, SLACK_LIMITS.fieldText) };
}

/** Fields in sections of at most `sectionFields`, since Slack rejects an eleventh. */
function fieldSections(fields: SlackMrkdwn[]): SlackBlock[] {
  const sections: SlackBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    sections.push({ type: "section", fields: fields.slice(i, i + SLACK_LIMITS.sectionFields) });
  }
  return sections;
}

function section(text: string): SlackBlock {
  return {
    type: "section",
    text: { type: "mrkdwn", text: truncate(text, SLACK_LIMITS.sectionText) },
  };
}

function header(kind: EventKind, subject: string): SlackBlock {
  const { emoji, words } = SLACK_HEADINGS[kind];
  return {
    type: "header",
    text: {
      type: "plain_text",
      text: truncate(oneLine(`${emoji} ${words}: ${subject}`), SLACK_LIMITS.headerText),
      emoji: true,
    },
  };
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * "PR" or "MR": the repository's host says which; without one, the change URL's shape does
 * (GitLab's `/-/merge_requests/`, GitHub's `/pull/`), and otherwise the neutral "PR/MR".
 */
function changeLabel(event: DeployEvent): string {
  const host = event.project.repository?.host;
  if (host === "github") return "PR";
  if (host === "gitlab") return "MR";
  const url = event.change?.url ?? "";
  if (url.includes("/merge_requests/")) return "MR";
  if (url.includes("/pull/")) return "PR";
  return "PR/MR";
}

/** `deploy-preview (preview)`; just the name when it already says the type. */
function environmentText(event: DeployEvent): string {
  const { name, type } = event.environment;
  const typeWord = type.toLowerCase();
  const escaped = escapeWithin(oneLine(name), MAX_SHORT_TEXT);
  return name.toLowerCase() === typeWord ? escaped : `${escaped} (${typeWord})`;
}

function deployFields(event: DeployEvent): SlackMrkdwn[] {
  const fields = [field("Project", escapeWithin(oneLine(event.project.name), MAX_SHORT_TEXT))];
  const repository = event.project.repository;
  if (repository !== undefined) {
    const url = repository.url ?? `${repository.origin}/${repository.fullPath}`;
    fields.push(field("Repository", link(url, repository.fullPath)));
  }
  fields.push(field("Environment", environmentText(event)));
  const commit = event.commit;
  if (commit?.ref !== undefined) {
    fields.push(field("Branch", escapeWithin(oneLine(commit.ref), MAX_SHORT_TEXT)));
  }
  if (commit?.sha !== undefined) {
    // The first line of the commit title gives the sha a meaning at a glance.
    const title = commit.message?.split("\n", 1)[0]?.trim();
    const titleLine = title ? `\n${escapeWithin(title, MAX_SHORT_TEXT)}` : "";
    fields.push(field("Commit", `${link(commit.url, shortSha(commit.sha))}${titleLine}`));
  }
  if (event.change !== undefined) {
    fields.push(field(changeLabel(event), link(event.change.url, `#${event.change.number}`)));
  }
  if (event.actor !== undefined && event.actor.trim() !== "") {
    fields.push(field("Triggered by", escapeWithin(oneLine(event.actor), MAX_SHORT_TEXT)));
  }
  return fields;
}

/** "Open deploy · Build log · Admin": only the links that exist and may be linked. */
function linksLine(event: DeployEvent, deployLabel: string): string | undefined {
  const links = [
    [event.urls.deploy, deployLabel],
    [event.urls.logs, "Build log"],
    [event.urls.admin, "Admin"],
  ] as const;
  const parts = links.flatMap(([url, label]) => {
    const href = linkableUrl(url);
    return href === undefined ? [] : [`<${href}|${label}>`];
  });
  return parts.length === 0 ? undefined : parts.join("  ·  ");
}

/**
 * The error in a code block. A run of three backticks inside the message would close the block
 * early, so it is defused; the rest is escaped and cut to the section limit.
 */
function errorSection(error: string): SlackBlock {
  const prefix = "*Error*\n```";
  const suffix = "```";
  const body = error.replace(/`{3,}/g, "'''").trim();
  return section(
    `${prefix}${escapeWithin(body, SLACK_LIMITS.sectionText - prefix.length - suffix.length)}${suffix}`,
  );
}

/**
 * "Netlify · deploy_failed · <time>": the time as Slack's `<!date>` token, so every reader sees
 * it in their own time zone, with the ISO time as the fallback Slack shows when it cannot.
 */
function contextBlock(event: DeployEvent, extra: string[] = []): SlackBlock {
  const parts = [
    SOURCE_NAMES[event.source] ?? escapeWithin(event.source, MAX_SHORT_TEXT),
    escapeWithin(oneLine(event.sourceEvent), MAX_SHORT_TEXT),
    ...extra,
  ];
  const millis = Date.parse(event.occurredAt);
  const iso = escapeWithin(oneLine(event.occurredAt), MAX_SHORT_TEXT);
  parts.push(
    Number.isNaN(millis)
      ? iso
      : `<!date^${Math.floor(millis / 1000)}^{date_short_pretty} at {time_secs}|${iso}>`,
  );
  return {
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: truncate(parts.filter((p) => p !== "").join("  ·  "), SLACK_LIMITS.sectionText),
      },
    ],
  };
}

/** The fallback: one plain line, escaped all the same since Slack parses it as mrkdwn too. */
function fallback(parts: (string | undefined)[]): string {
  const line = oneLine(parts.filter((part) => part !== undefined && part !== "").join(" · "));
  return escapeWithin(line, SLACK_LIMITS.fallbackText);
}

function buildDeployMessage(event: DeployEvent): SlackMessage {
  const subject = `${oneLine(event.project.name)} (${oneLine(event.environment.name)})`;
  const blocks: SlackBlock[] = [header(event.kind, subject), ...fieldSections(deployFields(event))];
  const links = linksLine(event, event.kind === "deploy.succeeded" ? "Open deploy" : "Deploy URL");
  if (links !== undefined) blocks.push(section(links));
  if (event.kind === "deploy.failed" && event.error !== undefined && event.error.trim() !== "") {
    blocks.push(errorSection(event.error));
  }
  blocks.push(contextBlock(event));

  const { emoji, words } = SLACK_HEADINGS[event.kind];
  const ref = event.commit?.ref;
  const sha = event.commit?.sha === undefined ? undefined : shortSha(event.commit.sha);
  const revision = ref !== undefined && sha !== undefined ? `${ref}@${sha}` : (ref ?? sha);
  const deployUrl = linkableUrl(event.urls.deploy) === undefined ? undefined : event.urls.deploy;
  return {
    text: fallback([`${emoji} ${words}: ${subject}`, revision, deployUrl]),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/**
 * A form value as text: strings as they are, numbers and booleans printed, objects and arrays
 * as JSON (Netlify sends checkbox groups as arrays). Empty values give "".
 */
function formValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cycles cannot come from JSON, but `fields` is typed `unknown`.
    return String(value);
  }
}

/**
 * Form fields as "*name:* value" lines, packed into as few sections as fit the section limit.
 * Empty fields are left out (an optional field left blank tells nothing); past the block budget
 * or `MAX_FORM_FIELDS`, the rest is counted in a "…and N more" line instead.
 */
function formBlocks(fields: Record<string, unknown>, budget: number): SlackBlock[] {
  const lines = Object.entries(fields).flatMap(([name, value]) => {
    const text = formValue(value).trim();
    if (text === "") return [];
    const label = escapeWithin(oneLine(name), MAX_SHORT_TEXT);
    return [`*${label}:* ${escapeWithin(text, MAX_FORM_VALUE)}`];
  });
  if (lines.length === 0) return [section("_No fields were filled in._")];

  const sections: string[] = [];
  let shown = 0;
  for (const line of lines) {
    if (shown === MAX_FORM_FIELDS) break;
    const last = sections.length - 1;
    const current = sections[last];
    if (current !== undefined && current.length + 1 + line.length <= SLACK_LIMITS.sectionText) {
      sections[last] = `${current}\n${line}`;
    } else if (sections.length < budget - 1) {
      // One block stays free for the "…and N more" line.
      sections.push(line);
    } else {
      break;
    }
    shown++;
  }
  const blocks = sections.map(section);
  const hidden = lines.length - shown;
  if (hidden > 0) {
    blocks.push(section(`_…and ${hidden} more field${hidden === 1 ? "" : "s"}_`));
  }
  return blocks;
}

function buildFormMessage(event: DeployEvent): SlackMessage {
  const formName = oneLine(event.form?.name ?? "") || "form";
  const site = link(event.urls.deploy, event.project.name);
  const blocks: SlackBlock[] = [header(event.kind, formName)];
  // Header and context take two blocks; the fields get the rest.
  blocks.push(...formBlocks(event.form?.fields ?? {}, SLACK_LIMITS.blocks - 2));
  blocks.push(contextBlock(event, [site]));
  const { emoji, words } = SLACK_HEADINGS[event.kind];
  return {
    text: fallback([`${emoji} ${words}: ${formName}`, oneLine(event.project.name)]),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/**
 * Builds the Slack message for an event: a header with the state in words and its emoji
 * (`SLACK_HEADINGS`), the deploy's facts as fields (unknown ones left out), links to the deploy,
 * log and admin page, the error of a failed deploy, and a context line with source and time.
 * `form.submitted` events list the form's fields instead. Always within `SLACK_LIMITS`.
 */
export function buildSlackMessage(event: DeployEvent): SlackMessage {
  if (event.alert !== undefined) return buildAlertMessage(event, event.alert);
  if (event.build !== undefined) return buildRequestMessage(event, event.build);
  return event.kind === "form.submitted" ? buildFormMessage(event) : buildDeployMessage(event);
}

/**
 * A notification's health changed: which notification, its new state and why, so a webhook never
 * goes dark silently.
 */
function buildAlertMessage(event: DeployEvent, alert: HealthAlert): SlackMessage {
  const { notification } = alert;
  const name = oneLine(notification.description) || notification.id;
  const subject = `${name} (${notification.kind})`;
  const facts = [
    `*Notification:* \`${escapeWithin(notification.id, MAX_SHORT_TEXT)}\``,
    `*Consecutive failures:* ${alert.consecutiveFailures}`,
  ];
  if (alert.disabledUntil !== undefined) {
    facts.push(`*Paused until:* ${escapeWithin(alert.disabledUntil, MAX_SHORT_TEXT)}`);
  }
  const blocks: SlackBlock[] = [
    header(event.kind, subject),
    section(facts.join("\n")),
    section(escapeWithin(alert.reason, SLACK_LIMITS.sectionText - 10)),
    contextBlock(event),
  ];
  const { emoji, words } = SLACK_HEADINGS[event.kind];
  return {
    text: fallback([`${emoji} ${words}: ${subject}`, oneLine(alert.reason)]),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
