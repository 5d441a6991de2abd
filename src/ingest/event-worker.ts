import type { DeployEvent, NormalizeOptions } from "../events/deploy-event.js";
import { isIgnored } from "../events/deploy-event.js";
import type { Logger } from "../logging/logger.js";
import type { DeliveryPlanner } from "../routing/delivery-planner.js";
import { sourceByName } from "../sources/index.js";
import type { Store } from "../store/database.js";
import {
  type EventDeliveries,
  eventOrder,
  insertDeliveryBatch,
} from "../store/deliveries-repository.js";
import {
  claimPendingEvents,
  type EventWithPayload,
  markEventProcessed,
} from "../store/events-repository.js";
import type { EventStatus } from "../store/schema.js";
import { logProcessed } from "./event-log.js";

/** What processing decided for one inbox row. */
export interface ProcessedEvent {
  row: EventWithPayload;
  status: Exclude<EventStatus, "pending">;
  event?: DeployEvent;
  reason?: string;
  /** Deliveries written for the event (routing ran: with a planner only). */
  deliveries?: number;
}

export interface EventWorkerOptions {
  store: Store;
  normalizeOptions: NormalizeOptions;
  log: Logger;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** How often to look for work nobody woke us for (other processes, restarts). */
  pollIntervalMs?: number;
  /**
   * Called after a batch is committed, for work that needs the committed result (handing GitHub
   * events to Probot's handlers). Errors are logged, never retried here.
   */
  afterCommit?: (processed: ProcessedEvent[]) => Promise<void>;
  /**
   * Routing: the deliveries an event needs. They are written in the transaction that marks the
   * event processed, so an event is never processed without its deliveries, nor twice.
   */
  planner?: DeliveryPlanner;
  /** Called after a batch that wrote deliveries is committed (wakes the delivery workers). */
  onDeliveries?: () => void;
  /**
   * Called before each batch, so the planner routes with current targets (notifications
   * another process created). Errors are logged; the batch proceeds with what is known.
   */
  beforeBatch?: () => Promise<void>;
  /** Told of each committed batch (the metrics); must not throw. */
  onProcessed?: (processed: readonly ProcessedEvent[]) => void;
}

/**
 * Turns pending inbox rows into normalized events, after the acknowledgement and from the store
 * alone, so events pending when a process died are picked up at the next start. On PostgreSQL,
 * rows are claimed with `FOR UPDATE SKIP LOCKED`, so several processes can share the work.
 */
export class EventWorker {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly options: EventWorkerOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the worker to look for work now (called after each inbox commit). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  /** Processes pending rows until none are left; returns how many were processed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.processBatch();
      total += n;
      if (n === 0) return total;
    }
  }

  /** Claims and processes one batch in one transaction; returns its size. */
  async processBatch(): Promise<number> {
    const { store, normalizeOptions } = this.options;
    if (this.options.beforeBatch) {
      await this.options
        .beforeBatch()
        .catch((error: unknown) =>
          this.options.log.warn({ err: error }, "event worker: could not refresh the targets"),
        );
    }
    let deliveries = 0;
    const processed = await store.workTransaction(async (trx) => {
      const rows = await claimPendingEvents(trx, store.engine, this.batchSize);
      const results: ProcessedEvent[] = [];
      const outbox: EventDeliveries[] = [];
      const now = new Date().toISOString();
      for (const row of rows) {
        const result = processRow(row, normalizeOptions);
        if (result.event && this.options.planner) {
          const planned = this.options.planner(result.event);
          outbox.push({
            eventId: row.id,
            order: eventOrder(result.event.occurredAt, row.id),
            planned,
          });
          result.deliveries = planned.length;
        }
        await markEventProcessed(trx, row.id, {
          status: result.status,
          reason: result.reason ?? null,
          normalized: result.event ? JSON.stringify(result.event) : null,
          now,
        });
        results.push(result);
      }
      // The whole batch's deliveries in one write; this transaction holds no queue lock yet, so
      // it may wait for the queues' locks to find their heads.
      deliveries = await insertDeliveryBatch(trx, outbox, now, { wait: true });
      return results;
    });
    if (deliveries > 0) this.options.onDeliveries?.();
    for (const result of processed) logProcessed(this.options.log, result);
    if (processed.length > 0) this.options.onProcessed?.(processed);
    if (processed.length > 0 && this.options.afterCommit) {
      try {
        await this.options.afterCommit(processed);
      } catch (error) {
        this.options.log.error({ err: error }, "after-commit handler failed");
      }
    }
    return processed.length;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      let count = 0;
      try {
        count = await this.processBatch();
        failures = 0;
      } catch (error) {
        failures++;
        this.options.log.error({ err: error }, "event worker: batch failed; will retry");
      }
      if (!this.running) break;
      if (count === this.batchSize && failures === 0) continue;
      if (this.woken && failures === 0) continue;
      const delay = failures > 0 ? Math.min(30_000, 250 * 2 ** failures) : this.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = undefined;
    }
  }
}

/** Pure: the outcome of one stored row. Failures are data, not exceptions. */
export function processRow(row: EventWithPayload, options: NormalizeOptions): ProcessedEvent {
  const source = sourceByName(row.source);
  if (!source) return { row, status: "failed", reason: `unknown source "${row.source}"` };
  try {
    const headers = JSON.parse(row.headers) as Record<string, string>;
    const payload: unknown = JSON.parse(row.body);
    const result = source.normalize({ headers, payload, receivedAt: row.received_at }, options);
    if (isIgnored(result)) return { row, status: "ignored", reason: result.reason };
    return { row, status: "processed", event: result };
  } catch (error) {
    return { row, status: "failed", reason: (error as Error).message || String(error) };
  }
}
