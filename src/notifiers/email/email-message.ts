/**
 * The e-mail a `DeployEvent` becomes: a one-line subject and the same facts twice, as plain text
 * and as a simple HTML table. Pure: no I/O, same event same message.
 *
 * Everything in an event comes from a webhook body, so every value is escaped in the HTML part
 * and only http(s) URLs become links (a `javascript:` "deploy URL" must not become clickable).
 */
import type { BuildRequest, DeployEvent, HealthAlert } from "../../events/deploy-event.js";
import { buildTargetText } from "../kit/build-target-text.js";

/** The three parts of a Shipcast e-mail. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** One row of the fact table: a label and a value, optionally linked. */
interface Fact {
  label: string;
  value: string;
  /** Only set for http(s) URLs, see `safeHref`. */
  href?: string;
  /** Text after the (linked) value, e.g. the commit title after the short sha. */
  note?: string;
}

/**
 * Builds the subject, plain-text part and HTML part of the notification for one event.
 *
 * Deploy events: `[<project>] Deploy <state>: <environment> (<branch>@<sha7>)`, the parenthesis
 * shortened to what is known (`(main)`, `(@abc1234)`) or left out. Form submissions:
 * `[<project>] Form submission: <form name>`, with the submitted fields in the body. Build
 * requests: `[<project>] Build requested by hook <hook title> (<ref>)`.
 */
export function buildEmail(event: DeployEvent): EmailContent {
  if (event.alert !== undefined) return alertEmail(event.alert);
  if (event.kind === "build.requested" && event.build !== undefined) {
    return buildRequestEmail(event, event.build);
  }
  return event.kind === "form.submitted" ? formEmail(event) : deployEmail(event);
}

/** `[Shipcast] Notification paused: <description>`: a notification's delivery health changed. */
function alertEmail(alert: HealthAlert): EmailContent {
  const { notification } = alert;
  const name = notification.description || notification.id;
  const headline = `Notification ${alert.state === "active" ? "recovered" : alert.state}: ${name}`;
  const facts: Fact[] = [
    { label: "Notification", value: `${notification.id} (${notification.kind})` },
    { label: "State", value: alert.state },
    { label: "Consecutive failures", value: String(alert.consecutiveFailures) },
  ];
  if (alert.disabledUntil !== undefined) {
    facts.push({ label: "Paused until", value: alert.disabledUntil });
  }
  facts.push({ label: "Reason", value: alert.reason });
  const color = alert.state === "active" ? "#1a7f37" : "#cf222e";
  return {
    subject: oneLine(`[Shipcast] ${headline}`),
    text: renderText(headline, facts),
    html: renderHtml(headline, facts, color),
  };
}

function deployEmail(event: DeployEvent): EmailContent {
  const state = event.kind.replace(/^deploy\./, "");
  const headline = `Deploy ${state}: ${event.environment.name}`;
  const subject = oneLine(`[${event.project.name}] ${headline}${refSuffix(event)}`);

  const facts: Fact[] = [{ label: "Project", value: event.project.name }];
  const repository = event.project.repository;
  if (repository) {
    facts.push(link("Repository", repository.fullPath, repository.url));
  }
  facts.push({
    label: "Environment",
    value: `${event.environment.name} (${event.environment.type})`,
  });
  if (event.commit?.ref) facts.push({ label: "Branch", value: event.commit.ref });
  const commit = commitFact(event);
  if (commit) facts.push(commit);
  if (event.change) {
    const isGitlab = isGitlabEvent(event);
    // GitLab writes merge requests as !n, GitHub pull requests as #n.
    const value = `${isGitlab ? "!" : "#"}${event.change.number}`;
    facts.push(link(isGitlab ? "MR" : "PR", value, event.change.url));
  }
  if (event.actor) facts.push({ label: "Actor", value: event.actor });
  if (event.urls.deploy) facts.push(urlFact("Deploy", event.urls.deploy));
  if (event.urls.logs) facts.push(urlFact("Logs", event.urls.logs));
  if (event.urls.admin) facts.push(urlFact("Admin", event.urls.admin));
  if (event.error) facts.push({ label: "Error", value: event.error });
  facts.push({ label: "Time", value: event.occurredAt });
  facts.push({ label: "Source", value: `${event.source} (${event.sourceEvent})` });

  return {
    subject,
    text: renderText(`[${event.project.name}] ${headline}`, facts),
    html: renderHtml(`[${event.project.name}] ${headline}`, facts, stateColor(event)),
  };
}

function formEmail(event: DeployEvent): EmailContent {
  const formName = event.form?.name ?? "(unnamed form)";
  const headline = `[${event.project.name}] Form submission: ${formName}`;
  const facts: Fact[] = [
    { label: "Project", value: event.project.name },
    { label: "Form", value: formName },
  ];
  if (event.urls.deploy) facts.push(urlFact("Site", event.urls.deploy));
  if (event.urls.admin) facts.push(urlFact("Admin", event.urls.admin));
  facts.push({ label: "Time", value: event.occurredAt });
  facts.push({ label: "Source", value: `${event.source} (${event.sourceEvent})` });

  const fields: Fact[] = Object.entries(event.form?.fields ?? {}).map(([name, value]) => ({
    label: name,
    value: fieldText(value),
  }));

  const text = `${renderText(headline, facts)}\nFields:\n${
    fields.length === 0 ? "  (none)\n" : fields.map((field) => textLine(field, "  ")).join("")
  }`;
  const html = renderHtml(headline, facts, "#333333", fields);
  return { subject: oneLine(headline), text, html };
}

/**
 * A build hook was asked to start a build: which hook, for which ref, with which title, and what
 * it starts (never the hook's URL or secrets: the event does not carry them).
 */
function buildRequestEmail(event: DeployEvent, build: BuildRequest): EmailContent {
  const hook = build.hook.title || build.hook.id;
  const ref = build.ref ?? event.commit?.ref;
  const headline = `[${event.project.name}] Build requested by hook ${hook}`;
  const facts: Fact[] = [
    { label: "Project", value: event.project.name },
    {
      label: "Build hook",
      value: build.hook.title ? `${build.hook.title} (${build.hook.id})` : build.hook.id,
    },
  ];
  if (build.title !== undefined && build.title.trim() !== "") {
    facts.push({ label: "Title", value: build.title });
  }
  if (ref !== undefined) facts.push({ label: "Branch", value: ref });
  facts.push({ label: "Starts", value: buildTargetText(build) });
  facts.push({ label: "Time", value: event.occurredAt });
  facts.push({ label: "Source", value: `${event.source} (${event.sourceEvent})` });
  return {
    subject: oneLine(`${headline}${ref === undefined ? "" : ` (${ref})`}`),
    text: renderText(headline, facts),
    html: renderHtml(headline, facts, "#0969da"),
  };
}

/** ` (<branch>@<sha7>)`, ` (<branch>)`, ` (@<sha7>)` or nothing, after what is known. */
function refSuffix(event: DeployEvent): string {
  const branch = event.commit?.ref ?? "";
  const sha = shortSha(event.commit?.sha);
  if (branch === "" && sha === "") return "";
  return sha === "" ? ` (${branch})` : ` (${branch}@${sha})`;
}

function shortSha(sha: string | undefined): string {
  return (sha ?? "").slice(0, 7);
}

function commitFact(event: DeployEvent): Fact | undefined {
  const commit = event.commit;
  if (!commit?.sha && !commit?.url) return undefined;
  const value = commit.sha ? shortSha(commit.sha) : "commit";
  return { ...link("Commit", value, commit.url), note: commit.message };
}

/** PR or MR: the repository's host decides; without one, the source does. */
function isGitlabEvent(event: DeployEvent): boolean {
  const host = event.project.repository?.host;
  return host === undefined ? event.source === "gitlab" : host === "gitlab";
}

function link(label: string, value: string, url: string | undefined): Fact {
  const href = safeHref(url);
  return href === undefined ? { label, value } : { label, value, href };
}

/** A fact whose value is a URL: shown as the link itself, or as plain text when not http(s). */
function urlFact(label: string, url: string): Fact {
  const href = safeHref(url);
  return href === undefined ? { label, value: url } : { label, value: href, href };
}

/** The URL, normalized, when it is http(s); anything else must never become a link. */
function safeHref(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function stateColor(event: DeployEvent): string {
  switch (event.kind) {
    case "deploy.succeeded":
      return "#1a7f37";
    case "deploy.failed":
      return "#cf222e";
    case "deploy.cancelled":
      return "#6e7781";
    default:
      return "#0969da";
  }
}

/** Submitted values are arbitrary JSON: strings as they are, anything else as JSON. */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return String(value);
  }
}

/**
 * Subjects are one header line: control characters (a CR/LF in a project name) are collapsed so
 * a value can neither fold the header oddly nor pretend to start a new one.
 */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

function renderText(headline: string, facts: Fact[]): string {
  return `${headline}\n\n${facts.map((fact) => textLine(fact, "")).join("")}`;
}

/**
 * `Label: value (note) <url>`. Continuation lines of a multi-line value are indented so a
 * submitted value cannot pass itself off as another fact line.
 */
function textLine(fact: Fact, indent: string): string {
  let line = `${fact.label}: ${fact.value}`;
  if (fact.note) line += ` (${fact.note})`;
  if (fact.href !== undefined && fact.href !== fact.value) line += ` <${fact.href}>`;
  return `${indent}${line.replace(/\r\n?|\n/g, `\n${indent}    `)}\n`;
}

const CELL = "padding:4px 12px 4px 0;vertical-align:top;text-align:left";

function renderHtml(headline: string, facts: Fact[], color: string, fields?: Fact[]): string {
  const rows = facts.map(htmlRow).join("");
  const fieldRows = fields?.map(htmlRow).join("");
  const fieldTable =
    fields === undefined
      ? ""
      : `<h3 style="margin:16px 0 8px;font-size:14px">Fields</h3>${
          fields.length === 0
            ? "<p>(none)</p>"
            : `<table style="border-collapse:collapse">\n${fieldRows}</table>`
        }`;
  return (
    "<!DOCTYPE html>" +
    '<html><head><meta charset="utf-8"></head>' +
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328">' +
    `<h2 style="margin:0 0 12px;font-size:16px;color:${color}">${escapeHtml(headline)}</h2>` +
    `<table style="border-collapse:collapse">\n${rows}</table>` +
    fieldTable +
    '<p style="margin-top:16px;font-size:12px;color:#6e7781">Sent by Shipcast</p>' +
    "</body></html>"
  );
}

function htmlRow(fact: Fact): string {
  const value =
    fact.href === undefined
      ? escapeHtml(fact.value)
      : `<a href="${escapeHtml(fact.href)}">${escapeHtml(fact.value)}</a>`;
  const note = fact.note ? ` ${escapeHtml(fact.note)}` : "";
  return (
    `<tr><th style="${CELL};font-weight:bold;white-space:nowrap">${escapeHtml(fact.label)}</th>` +
    `<td style="${CELL};white-space:pre-wrap">${value}${note}</td></tr>\n`
  );
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for element content and double- or single-quoted attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}
