import type { InsertOutcome, NewEvent, Store } from "../store/database.js";

interface Pending {
  row: NewEvent;
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the inbox: rows written during one turn of the event loop are committed in a
 * single transaction, and each caller's promise settles only after that commit. Under load this
 * turns N fsyncs into one without ever acknowledging an uncommitted event.
 */
export class InboxWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;

  /**
   * @param store where rows are committed
   * @param onCommitted called after each successful commit (e.g. to wake the worker)
   * @param maxBatch upper bound on rows per transaction
   */
  constructor(
    private readonly store: Store,
    private readonly onCommitted: () => void = () => {},
    private readonly maxBatch = 500,
  ) {}

  /** Resolves with the stored id (or the earlier copy's) once the row is committed. */
  write(row: NewEvent): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outcomes = await this.store.insertEvents(batch.map((p) => p.row));
          batch.forEach((p, i) => {
            const outcome = outcomes[i];
            if (outcome) p.resolve(outcome);
            else p.reject(new Error("store returned fewer outcomes than rows"));
          });
          this.onCommitted();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
