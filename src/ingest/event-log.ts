import type { Logger } from "../logging/logger.js";
import { printable } from "../logging/printable.js";
import type { ProcessedEvent } from "./event-worker.js";

/**
 * The log line of one processed inbox row: what it became and how many deliveries it got at
 * `info`, why it was ignored at `info`, why it failed at `warn`.
 */
export function logProcessed(log: Logger, result: ProcessedEvent): void {
  const { row, status, event, reason } = result;
  const name = `event ${row.id} (${row.source}${row.event_name ? ` ${row.event_name}` : ""})`;
  const facts = {
    id: row.id,
    source: row.source,
    name: row.event_name,
    status,
    ...(event && { kind: event.kind, project: event.project.name, env: event.environment.name }),
    ...(reason !== undefined && { reason }),
    ...(result.deliveries !== undefined && { deliveries: result.deliveries }),
  };
  if (status === "processed" && event) {
    const repository = event.project.repository?.fullPath ?? event.project.name;
    const deliveries =
      result.deliveries === undefined
        ? ""
        : `, ${result.deliveries} ${result.deliveries === 1 ? "delivery" : "deliveries"}`;
    log.info(
      { event: facts },
      `${name}: ${event.kind} of ${repository} to ${event.environment.name}${deliveries}`,
    );
  } else if (status === "ignored") {
    log.info({ event: facts }, `${name}: ignored, ${printable(reason ?? "no reason given", 500)}`);
  } else {
    log.warn({ event: facts }, `${name}: failed, ${printable(reason ?? "no reason given", 500)}`);
  }
}
