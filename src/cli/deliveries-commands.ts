import { type Command, Option } from "commander";
import type { ManualAttempt } from "../delivery/manual-delivery.js";
import type {
  AttemptView,
  DeliveryDetail,
  DeliverySummary,
} from "../services/deliveries/delivery-views.js";
import { apiCommand, apiContext, positiveInteger } from "./client-options.js";
import { CliError } from "./exit-codes.js";
import { type Column, cell, fields, type Output, type Page, printPage, table } from "./output.js";

// The API's answers, typed by the views that make them (compile-time only: nothing server-side
// is loaded), so the CLI cannot read a field the API no longer sends.
export type { ManualAttempt } from "../delivery/manual-delivery.js";
export type { DeliverySummary } from "../services/deliveries/delivery-views.js";

/** The statuses a delivery list can be filtered by. */
export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "superseded", "skipped"];

/** A delivery as a table row (also under an event in `events show`). */
export const deliveryColumns: Column<DeliverySummary>[] = [
  { heading: "ID", value: (d) => d.id },
  { heading: "EVENT", value: (d) => d.event_id },
  { heading: "TARGET", value: (d) => d.target, max: 30 },
  { heading: "KIND", value: (d) => d.kind },
  { heading: "STATUS", value: (d) => (d.in_flight ? "in flight" : d.status) },
  { heading: "ATTEMPTS", value: (d) => d.attempts },
  { heading: "UPDATED", value: (d) => d.updated_at },
  { heading: "NEXT ATTEMPT", value: (d) => d.next_attempt_at },
  { heading: "LAST ERROR", value: (d) => d.last_error, max: 60 },
];

const attemptColumns: Column<AttemptView>[] = [
  { heading: "#", value: (a) => a.attempt },
  { heading: "STARTED", value: (a) => a.started_at },
  { heading: "MS", value: (a) => a.duration_ms },
  { heading: "OUTCOME", value: (a) => a.outcome },
  { heading: "HTTP", value: (a) => a.http_status },
  { heading: "ERROR", value: (a) => a.error, max: 80 },
];

/** `shipcast deliveries list|show|resend`. */
export function deliveriesCommand(program: Command): Command {
  const deliveries = program
    .command("deliveries")
    .description("deliveries of events to targets, newest first");

  apiCommand(deliveries, "list", "list deliveries, newest first")
    .option("--event <id>", "only this event's")
    .option("--target <target>", "only this target's (a notification id or routing-file name)")
    .addOption(new Option("--status <status>", "only this status").choices(DELIVERY_STATUSES))
    .option("--limit <n>", "page size (1-200)", positiveInteger, 50)
    .option("--cursor <cursor>", "the next page, as the previous one said")
    .action(async (options: ListOptions, command: Command) => {
      const { api, out } = apiContext(command);
      const page = await api.get<Page<DeliverySummary>>("/api/v1/deliveries", {
        event: options.event,
        target: options.target,
        status: options.status,
        limit: options.limit,
        cursor: options.cursor,
      });
      printPage(out, page, deliveryColumns);
    });

  apiCommand(deliveries, "show", "one delivery with every attempt")
    .argument("<id>", "delivery id (dlv_…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      const delivery = await api.get<DeliveryDetail>(
        `/api/v1/deliveries/${encodeURIComponent(id)}`,
      );
      if (out.json) return out.data(delivery);
      for (const line of fields([
        ["id", delivery.id],
        ["event", delivery.event_id],
        ["target", `${delivery.target} (${delivery.kind})`],
        ["status", delivery.in_flight ? "pending, in flight" : delivery.status],
        ["next attempt", delivery.next_attempt_at ?? undefined],
        ["last error", delivery.last_error ?? undefined],
        ["created", delivery.created_at],
        ["completed", delivery.completed_at ?? undefined],
      ])) {
        out.line(line);
      }
      out.line();
      out.line("attempts:");
      for (const line of table(delivery.attempts, attemptColumns)) out.line(`  ${line}`);
    });

  apiCommand(deliveries, "resend", "send a delivery again now: same delivery id, a new attempt")
    .argument("<id>", "delivery id (dlv_…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      const attempt = await api.post<ManualAttempt>(
        `/api/v1/deliveries/${encodeURIComponent(id)}/redeliver`,
      );
      printAttempt(out, attempt);
    });

  return deliveries;
}

interface ListOptions {
  event?: string;
  target?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

/**
 * Prints an attempt made on demand (test send, resend). The server answers 200 whether the
 * receiver took it or not, so an attempt that failed ends the command with exit code 1.
 */
export function printAttempt(out: Output, attempt: ManualAttempt): void {
  if (out.json) out.data(attempt);
  else {
    for (const line of fields([
      ["delivery", attempt.delivery_id],
      ["event", attempt.event_id],
      ["target", attempt.target],
      ["attempt", attempt.attempt],
      ["outcome", attempt.outcome],
      ["status", attempt.status],
      ["http status", attempt.http_status ?? undefined],
      ["duration", `${attempt.duration_ms} ms`],
      ["error", attempt.error ? cell(attempt.error, 300) : undefined],
      ["response", attempt.response ? cell(attempt.response, 300) : undefined],
    ])) {
      out.line(line);
    }
  }
  if (attempt.outcome === "failed" || attempt.outcome === "retry") {
    const answer = attempt.http_status === null ? "no answer" : `HTTP ${attempt.http_status}`;
    throw new CliError(`the attempt did not succeed (outcome ${attempt.outcome}, ${answer})`);
  }
}
