import type { Logger } from "../logging/logger.js";
import type { Store } from "../store/database.js";
import { pruneDeliveryLog } from "../store/deliveries-repository.js";

/**
 * Keeps the delivery log to `DELIVERY_LOG_RETENTION`: attempts (requests and answers) and the
 * payloads of finished events older than that are deleted by the running server, at start and
 * then every `intervalMs`. Deliveries and events stay, so their status remains visible.
 */
export class LogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: {
      store: Store;
      retentionMs: number;
      log: Logger;
      /** Default: a tenth of the retention, between 1 minute and 1 hour. */
      intervalMs?: number;
    },
  ) {}

  start(): void {
    const { retentionMs } = this.options;
    const interval =
      this.options.intervalMs ??
      Math.min(3_600_000, Math.max(60_000, Math.round(retentionMs / 10)));
    void this.prune();
    this.timer = setInterval(() => void this.prune(), interval);
    this.timer.unref();
  }

  stop(): Promise<void> | undefined {
    if (this.timer) clearInterval(this.timer);
    return this.running;
  }

  /** Prunes once now; resolves when done (errors are logged). */
  prune(now = Date.now()): Promise<void> {
    if (this.running) return this.running;
    const before = new Date(now - this.options.retentionMs).toISOString();
    this.running = pruneDeliveryLog(this.options.store.db, before)
      .then((pruned) => {
        if (pruned.attempts > 0 || pruned.payloads > 0) {
          this.options.log.info(
            pruned,
            `delivery log: pruned what is older than ${before} (DELIVERY_LOG_RETENTION)`,
          );
        }
      })
      .catch((error: unknown) =>
        this.options.log.error({ err: error }, "pruning the delivery log failed"),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
