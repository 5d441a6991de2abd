import type { DeployEvent, EventKind } from "../../events/deploy-event.js";
import { isHttpUrl } from "../../outbound/http-facts.js";

/** Hidden marker that identifies Shipcast's own comment on a pull/merge request. */
export const STICKY_MARKER = "<!-- shipcast:deploy-status -->";

/** GitHub refuses comment bodies longer than this; GitLab's limit is far higher. */
export const MAX_COMMENT_LENGTH = 65_536;

/** One line of the sticky comment: the latest state of one project in one environment. */
export interface DeployRow {
  /** `project|environment`: the row a later event of the same deploy target replaces. */
  key: string;
  project: string;
  environment: string;
  kind: EventKind;
  deployUrl?: string;
  logsUrl?: string;
  sha?: string;
  commitUrl?: string;
  error?: string;
  /** Source time of the state shown. */
  occurredAt: string;
}

const STATES: Partial<Record<EventKind, string>> = {
  "deploy.started": "⏳ Building",
  "deploy.succeeded": "✅ Ready",
  "deploy.failed": "❌ Failed",
  "deploy.cancelled": "🚫 Cancelled",
  "deploy.locked": "🔒 Locked",
  "deploy.unlocked": "🔓 Unlocked",
};

/** The row an event contributes. */
export function rowFromEvent(event: DeployEvent): DeployRow {
  const row: DeployRow = {
    key: `${event.project.name}|${event.environment.name}`,
    project: event.project.name,
    environment: event.environment.name,
    kind: event.kind,
    occurredAt: event.occurredAt,
  };
  if (event.urls.deploy) row.deployUrl = event.urls.deploy;
  if (event.urls.logs) row.logsUrl = event.urls.logs;
  if (event.commit?.sha) row.sha = event.commit.sha;
  if (event.commit?.url) row.commitUrl = event.commit.url;
  if (event.kind === "deploy.failed" && event.error) row.error = event.error;
  return row;
}

/**
 * Puts `row` in place of the row with its key, leaving the others alone. A row never moves
 * backwards: an older state than the one shown is ignored (`changed: false`).
 */
export function mergeRow(
  rows: DeployRow[],
  row: DeployRow,
): { rows: DeployRow[]; changed: boolean } {
  const index = rows.findIndex((r) => r.key === row.key);
  if (index === -1) return { rows: [...rows, row], changed: true };
  const current = rows[index] as DeployRow;
  if (current.occurredAt > row.occurredAt) return { rows, changed: false };
  const next = [...rows];
  next[index] = row;
  return { rows: next, changed: true };
}

/** How the comment is rendered beyond its rows. */
export interface RenderOptions {
  /** The pull/merge request is closed: a note says the comment is no longer updated. */
  closed?: boolean;
  /** What the note calls the pull/merge request. Default `pull request`. */
  changeName?: string;
}

/**
 * The comment body: marker, a table with one row per project and environment, the errors of
 * failed rows, and a note once the pull/merge request is closed. Rows are dropped, oldest first,
 * if the body would exceed `MAX_COMMENT_LENGTH`.
 */
export function renderDeployTable(rows: DeployRow[], options: RenderOptions = {}): string {
  let shown = [...rows].sort((a, b) => a.key.localeCompare(b.key));
  const closed = options.closed ? (options.changeName ?? "pull request") : undefined;
  for (;;) {
    const body = render(shown, rows.length - shown.length, closed);
    if (body.length <= MAX_COMMENT_LENGTH || shown.length === 0) return body;
    const oldest = shown.reduce((a, b) => (a.occurredAt <= b.occurredAt ? a : b));
    shown = shown.filter((r) => r !== oldest);
  }
}

/** `closed`: what the closed pull/merge request is called, when it is closed. */
function render(rows: DeployRow[], dropped: number, closed: string | undefined): string {
  const lines = [
    STICKY_MARKER,
    "### 🚢 Deploys",
    "",
    "| Project | Environment | Status | Preview | Logs | Commit | Updated (UTC) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${cell(row.project)} | ${cell(row.environment)} | ${STATES[row.kind] ?? cell(row.kind)} | ${link("Visit", row.deployUrl)} | ${link("Logs", row.logsUrl)} | ${commit(row)} | ${when(row.occurredAt)} |`,
    );
  }
  if (rows.length === 0) lines.push("| — | — | — | — | — | — | — |");
  const failures = rows.filter((r) => r.error);
  if (failures.length > 0) {
    lines.push("", "<details><summary>Errors</summary>", "");
    for (const row of failures) {
      lines.push(
        `- **${cell(row.project)} · ${cell(row.environment)}**: ${cell(truncate(row.error ?? "", 500))}`,
      );
    }
    lines.push("", "</details>");
  }
  if (dropped > 0) lines.push("", `_${dropped} older rows are not shown._`);
  if (closed !== undefined) {
    lines.push("", `_This ${closed} is closed: this comment is no longer updated._`);
  }
  lines.push("", "<sub>Posted by Shipcast and updated in place.</sub>");
  return lines.join("\n");
}

/** Table-cell text: no line breaks, no column breaks, no HTML. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|");
}

function link(label: string, url: string | undefined): string {
  if (!isHttpUrl(url)) return "—";
  return `[${label}](${url.replace(/\)/g, "%29").replace(/\|/g, "%7C").replace(/ /g, "%20")})`;
}

function commit(row: DeployRow): string {
  if (!row.sha) return "—";
  const short = `\`${row.sha.slice(0, 7)}\``;
  return isHttpUrl(row.commitUrl) ? `[${short}](${row.commitUrl.replace(/\)/g, "%29")})` : short;
}

function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return cell(iso);
  return date.toISOString().slice(0, 16).replace("T", " ");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
