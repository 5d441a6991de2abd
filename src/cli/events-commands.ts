import { type Command, Option } from "commander";
import type { EventSummary } from "../services/events/events-service.js";
import type { ApiClient } from "./api-client.js";
import { apiCommand, apiContext, positiveInteger } from "./client-options.js";
import { type DeliverySummary, deliveryColumns } from "./deliveries-commands.js";
import { type Column, cell, fields, type Output, type Page, printPage, table } from "./output.js";

interface EventDetail extends EventSummary {
  headers: Record<string, string> | null;
  payload: unknown;
  event: {
    commit?: { sha?: string; ref?: string };
    change?: { number?: number; url?: string };
    urls?: Record<string, string>;
    error?: string;
  } | null;
  deliveries: DeliverySummary[];
}

const EVENT_SOURCES = ["github", "gitlab", "netlify", "bitrise", "qovery", "generic", "shipcast"];
const EVENT_STATUSES = ["pending", "processed", "ignored", "failed"];

const eventColumns: Column<EventSummary>[] = [
  { heading: "ID", value: (e) => e.id },
  { heading: "RECEIVED", value: (e) => e.received_at },
  { heading: "SOURCE", value: (e) => e.source },
  { heading: "EVENT", value: (e) => e.source_event, max: 24 },
  { heading: "STATUS", value: (e) => e.status },
  { heading: "KIND", value: (e) => e.kind },
  { heading: "PROJECT", value: (e) => e.project, max: 30 },
  { heading: "ENVIRONMENT", value: (e) => e.environment, max: 24 },
  { heading: "REASON", value: (e) => e.reason, max: 50 },
];

/** `shipcast events list|show|tail`. */
export function eventsCommand(program: Command): Command {
  const events = program.command("events").description("received events, newest first");

  apiCommand(events, "list", "list events, newest first")
    .addOption(new Option("--source <source>", "only this source").choices(EVENT_SOURCES))
    .option("--source-id <id>", "only what this source received (src_…, env_github)")
    .addOption(new Option("--status <status>", "only this status").choices(EVENT_STATUSES))
    .option("--limit <n>", "page size (1-200)", positiveInteger, 50)
    .option("--cursor <cursor>", "the next page, as the previous one said")
    .action(async (options: ListOptions, command: Command) => {
      const { api, out } = apiContext(command);
      const page = await api.get<Page<EventSummary>>("/api/v1/events", {
        source: options.source,
        source_id: options.sourceId,
        status: options.status,
        limit: options.limit,
        cursor: options.cursor,
      });
      printPage(out, page, eventColumns);
    });

  apiCommand(events, "show", "one event: what it became, its headers and its deliveries")
    .argument("<id>", "event id (evt_…)")
    .option("--payload", "print the payload as received, too")
    .action(async (id: string, options: { payload?: boolean }, command: Command) => {
      const { api, out } = apiContext(command);
      const event = await api.get<EventDetail>(`/api/v1/events/${encodeURIComponent(id)}`);
      if (out.json) return out.data(event);
      printEvent(out, event, options.payload === true);
    });

  apiCommand(events, "tail", "follow new events as they arrive, until Ctrl-C")
    .addOption(new Option("--source <source>", "only this source").choices(EVENT_SOURCES))
    .action(async (options: { source?: string }, command: Command) => {
      const { api, out } = apiContext(command);
      await tailEvents(api, out, options.source);
    });

  return events;
}

interface ListOptions {
  source?: string;
  sourceId?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

function printEvent(out: Output, event: EventDetail, withPayload: boolean): void {
  const normalized = event.event;
  for (const line of fields([
    ["id", event.id],
    ["source", `${event.source}${event.source_event ? ` (${event.source_event})` : ""}`],
    ["received by", event.source_id ?? undefined],
    ["status", event.status],
    ["reason", event.reason ?? undefined],
    ["kind", event.kind ?? undefined],
    ["project", event.project ?? undefined],
    ["environment", event.environment ?? undefined],
    ["commit", normalized?.commit ? commitText(normalized.commit) : undefined],
    ["change", normalized?.change?.url ?? normalized?.change?.number],
    ["deploy url", normalized?.urls?.deploy],
    ["error", normalized?.error],
    ["received", event.received_at],
    ["processed", event.processed_at ?? undefined],
  ])) {
    out.line(line);
  }
  out.line();
  out.line("headers:");
  if (event.headers === null) out.line("  (pruned)");
  else for (const [name, value] of Object.entries(event.headers)) out.line(`  ${name}: ${value}`);
  out.line();
  out.line("deliveries:");
  for (const line of table(event.deliveries, deliveryColumns)) out.line(`  ${line}`);
  if (withPayload) {
    out.line();
    out.line("payload:");
    out.line(event.payload === null ? "  (pruned)" : JSON.stringify(event.payload, null, 2));
  }
}

function commitText(commit: { sha?: string; ref?: string }): string {
  const sha = commit.sha ? commit.sha.slice(0, 12) : "";
  return [sha, commit.ref ? `on ${commit.ref}` : ""].filter(Boolean).join(" ") || "-";
}

/** One event on one line for `tail`; fixed widths so the lines stay aligned as they come. */
function tailLine(e: EventSummary): string {
  return [
    cell(e.received_at).padEnd(21),
    e.id.padEnd(30),
    e.source.padEnd(8),
    cell(e.source_event, 20).padEnd(20),
    e.status.padEnd(10),
    cell(e.kind).padEnd(17),
    cell(e.project, 30),
    cell(e.environment, 24),
  ]
    .join(" ")
    .trimEnd();
}

/** How often `tail` asks for new events. */
const TAIL_INTERVAL_MS = 1000;
/** Pages `tail` reads back at most in one poll when many events arrived at once. */
const TAIL_MAX_PAGES = 10;

/**
 * Polls the events list every second and prints the events newer than the newest one seen
 * (ids sort by time), oldest first. Runs until the process is interrupted; a failed request
 * ends it with that error.
 */
async function tailEvents(api: ApiClient, out: Output, source: string | undefined): Promise<void> {
  const first = await api.get<Page<EventSummary>>("/api/v1/events", { source, limit: 1 });
  let newest = first.items[0]?.id ?? "";
  // Stopping is how tail ends, not a failure.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
  out.note(`following new events${source ? ` from ${source}` : ""} (Ctrl-C to stop)`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, TAIL_INTERVAL_MS));
    const fresh = await eventsAfter(api, newest, source);
    for (const event of fresh) {
      if (out.json) out.line(JSON.stringify(event));
      else out.line(tailLine(event));
    }
    const last = fresh.at(-1);
    if (last) newest = last.id;
  }
}

/** Events with an id above `newest`, oldest first, reading back page by page. */
async function eventsAfter(
  api: ApiClient,
  newest: string,
  source: string | undefined,
): Promise<EventSummary[]> {
  const fresh: EventSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < TAIL_MAX_PAGES; page++) {
    const answer = await api.get<Page<EventSummary>>("/api/v1/events", {
      source,
      limit: 100,
      cursor,
    });
    const newer = answer.items.filter((e) => e.id > newest);
    fresh.push(...newer);
    if (newer.length < answer.items.length || answer.next === null) break;
    cursor = answer.next;
  }
  return fresh.reverse();
}
