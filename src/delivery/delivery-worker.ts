import type { Transaction } from "kysely";
import type { DeployEvent } from "../events/deploy-event.js";
import type { Logger } from "../logging/logger.js";
import type { AttemptResult } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import type { Store } from "../store/database.js";
import {
  type AttemptRecord,
  type ClaimedDelivery,
  claimDueDeliveries,
  deferDelivery,
  nextDueAt,
  recordAttempts,
  releaseAllLeases,
} from "../store/deliveries-repository.js";
import type { Database } from "../store/schema.js";
import { attemptRecordOf } from "./attempt-record.js";
import { type DeliveryObserver, finishedAttemptOf } from "./delivery-observer.js";
import type { FollowUpPlanner, TargetDirectory } from "./delivery-plan.js";
import { type FollowUps, followUpsOf, writeSkippedFollowUps } from "./follow-ups.js";
import { nextRetryDelay, type RetryPolicy } from "./retry-policy.js";

export { attemptRecordOf, RESPONSE_EXCERPT_LIMIT } from "./attempt-record.js";

/** What one attempt says about its target's receiver, for targets whose health is tracked. */
export type TargetOutcome =
  | { type: "success" }
  | { type: "failure"; error: string }
  | { type: "gone"; reason: string };

/**
 * Delivery health of targets that have it (notifications managed through the API): a paused
 * target's deliveries wait, a disabled one's are not sent, and every outcome is applied in the
 * transaction that records the attempt.
 */
export interface TargetHealth {
  targetState(
    name: string,
  ):
    | { state: "active" | "paused" | "disabled"; until: string | null; reason: string | null }
    | undefined;
  /** Whether an unknown name may be a target created by another process since the last load. */
  isNotification(name: string): boolean;
  reload(): Promise<void>;
  applyOutcome(
    trx: Transaction<Database>,
    name: string,
    outcome: TargetOutcome,
  ): Promise<{ state: string } | undefined>;
}

/** The health outcome of an attempt's result; undefined when it says nothing of the receiver. */
export function targetOutcomeOf(result: AttemptResult): TargetOutcome | undefined {
  if (result.disableTarget !== undefined) return { type: "gone", reason: result.disableTarget };
  if (result.outcome === "succeeded") return { type: "success" };
  if (result.outcome === "retry" || result.outcome === "failed") {
    return { type: "failure", error: result.error };
  }
  return undefined;
}

export interface DeliveryWorkerOptions {
  store: Store;
  registry: NotifierRegistry;
  targets: TargetDirectory;
  /**
   * The planner's answer to the target names a notifier returns (a repository's `notify`): the
   * deliveries to write with the attempt, and the names refused.
   */
  planFollowUps: FollowUpPlanner;
  log: Logger;
  /** Deliveries in flight at once in this process. */
  concurrency: number;
  /** Per-attempt timeout; the notifier's signal aborts after it. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Longest sleep between looks at the outbox when nothing wakes the worker. */
  pollIntervalMs?: number;
  /** Health of the targets that track it; absent: every target is always active. */
  health?: TargetHealth;
  /** Told of every recorded attempt and superseded delivery (the log, the metrics). */
  observer?: DeliveryObserver;
}

/** The kinds whose notifiers want every event (never superseded). */
function everyEventKinds(registry: NotifierRegistry): Set<string> {
  return new Set(registry.kinds().filter((kind) => registry.get(kind)?.everyEvent === true));
}

/**
 * The outbox workers: claim due deliveries (heads of their target-and-subject queues), call the
 * notifier with a timeout, record every attempt, and schedule the retry or finish. A claim is a
 * lease: if the process dies mid-attempt the lease runs out and the delivery is attempted again
 * (at-least-once, with the same delivery id). On SQLite, the one process frees leases at start.
 */
export class DeliveryWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private inFlight = new Set<Promise<void>>();
  /** Claimed (leased) deliveries waiting for a free slot: claims are made in batches. */
  private queued: ClaimedDelivery[] = [];
  /**
   * Attempt records waiting for the next group commit, with their target's health outcome and
   * the deliveries they refused.
   */
  private records: Array<{
    record: AttemptRecord;
    health?: { target: string; outcome: TargetOutcome };
    followUps?: FollowUps;
    done: () => void;
  }> = [];
  private flushScheduled = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly pollIntervalMs: number;
  private readonly everyEventKinds: ReadonlySet<string>;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.everyEventKinds = everyEventKinds(options.registry);
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.options.store.engine === "sqlite") {
      const freed = await releaseAllLeases(this.options.store.db);
      if (freed > 0)
        this.options.log.info(`${freed} deliveries in flight at the last stop are due again`);
    }
    this.running = true;
    this.loop = this.run();
  }

  /** Look for due deliveries now (new ones were written, or one finished). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming, and waits for the attempts in flight to be recorded. Deliveries claimed but
   * not started keep their lease until it runs out (SQLite frees it at the next start).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    this.queued = [];
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async run(): Promise<void> {
    const { log, concurrency } = this.options;
    let failures = 0;
    while (this.running) {
      this.woken = false;
      let claimed = 0;
      // Claim up to two slots' worth ahead, so finished attempts are refilled without a claim
      // (and its commit) per delivery.
      const free = 2 * concurrency - this.inFlight.size - this.queued.length;
      if (free >= concurrency) {
        try {
          claimed = await this.claimAndStart(free);
          failures = 0;
        } catch (error) {
          failures++;
          log.error({ err: error }, "delivery worker: claiming failed; will retry");
        }
      }
      if (!this.running) break;
      if (free < concurrency || (claimed > 0 && claimed === free)) {
        // Busy: a finishing attempt wakes the loop when the buffer runs low.
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      if (this.woken && failures === 0) continue;
      await this.sleep(
        failures > 0 ? Math.min(30_000, 250 * 2 ** failures) : await this.idleDelay(),
      );
    }
  }

  /** Until the next retry is due, at most the poll interval. */
  private async idleDelay(): Promise<number> {
    const due = await nextDueAt(this.options.store.db).catch(() => undefined);
    if (!due) return this.pollIntervalMs;
    return Math.max(5, Math.min(this.pollIntervalMs, Date.parse(due) - Date.now()));
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async claimAndStart(limit: number): Promise<number> {
    const { store, timeoutMs } = this.options;
    const now = Date.now();
    // The lease outlives a wait in the buffer (at most one attempt's timeout) plus the attempt
    // itself, so only a dead process loses one.
    const leaseUntil = new Date(now + 2 * timeoutMs + 1000).toISOString();
    const { claimed, superseded } = await claimDueDeliveries(store.db, {
      engine: store.engine,
      now: new Date(now).toISOString(),
      leaseUntil,
      limit,
      everyEventKinds: this.everyEventKinds,
    });
    if (superseded.length > 0) this.options.observer?.superseded(superseded);
    this.queued.push(...claimed);
    this.pump();
    if (superseded.length > 0 && claimed.length === 0) this.woken = true;
    return claimed.length;
  }

  /** Starts queued deliveries while slots are free. */
  private pump(): void {
    while (this.running && this.inFlight.size < this.options.concurrency) {
      const delivery = this.queued.shift();
      if (!delivery) break;
      const task = this.attempt(delivery).finally(() => {
        this.inFlight.delete(task);
        this.pump();
        if (this.queued.length < this.options.concurrency) this.wake();
      });
      this.inFlight.add(task);
    }
  }

  /** Queues a record for the next group commit; resolves once it is committed (or failed). */
  private record(
    record: AttemptRecord,
    health?: { target: string; outcome: TargetOutcome },
    followUps?: FollowUps,
  ): Promise<void> {
    return new Promise((done) => {
      this.records.push({ record, health, followUps, done });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => void this.flushRecords());
    });
  }

  private async flushRecords(): Promise<void> {
    const batch = this.records.splice(0);
    const { health } = this.options;
    const entries = new Map(batch.map((b) => [b.record, b]));
    let changed = false;
    try {
      await recordAttempts(
        this.options.store.db,
        batch.map((b) => b.record),
        {
          afterApplied: async (trx, record) => {
            const entry = entries.get(record);
            if (entry?.followUps?.skipped.length) await writeSkippedFollowUps(trx, entry.followUps);
            const outcome = entry?.health;
            if (!outcome || !health) return;
            if (await health.applyOutcome(trx, outcome.target, outcome.outcome)) changed = true;
          },
        },
      );
      if (changed && health) {
        // A pause or a disable must be seen by the next claims; alert deliveries were written.
        await health.reload();
        this.wake();
      }
    } catch (error) {
      // The leases will run out and the deliveries be attempted again: at-least-once.
      this.options.log.error({ err: error }, "could not record delivery attempts");
    } finally {
      this.flushScheduled = false;
      for (const b of batch) b.done();
      if (this.records.length > 0) {
        this.flushScheduled = true;
        setImmediate(() => void this.flushRecords());
      }
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { registry, targets, timeoutMs, retry } = this.options;
    const startedAt = new Date();
    const started = performance.now();
    let result: AttemptResult;
    let event: DeployEvent | undefined;
    const { health } = this.options;
    let target = targets.get(delivery.target);
    if (!target && health?.isNotification(delivery.target)) {
      // Created by another process since this one last loaded the notifications.
      await health.reload().catch(() => undefined);
      target = targets.get(delivery.target);
    }
    const state = health?.targetState(delivery.target);
    if (state?.state === "paused" && state.until !== null) {
      await deferDelivery(this.options.store.db, {
        id: delivery.id,
        attempt: delivery.attempts,
        until: state.until,
      }).catch((error: unknown) =>
        this.options.log.error(
          { err: error },
          "could not defer a delivery; its lease will run out",
        ),
      );
      return;
    }
    const notifier = registry.get(delivery.kind);
    if (state?.state === "disabled") {
      result = {
        outcome: "failed",
        error: `not sent: the notification is disabled (${state.reason ?? "re-enable it to resume"})`,
      };
    } else if (!target || target.kind !== delivery.kind) {
      result = { outcome: "failed", error: `target "${delivery.target}" is no longer configured` };
    } else if (!notifier) {
      result = { outcome: "failed", error: `no notifier for kind "${delivery.kind}"` };
    } else {
      event = JSON.parse(delivery.normalized) as DeployEvent;
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        result = await notifier.deliver(target.settings, {
          deliveryId: delivery.id,
          eventId: delivery.event_id,
          event,
          attempt: delivery.attempts,
          signal,
        });
      } catch (error) {
        // A notifier must classify its failures; an escaped error is a bug, retried safely.
        result = { outcome: "retry", error: `notifier error: ${(error as Error).message}` };
      }
    }
    const record = attemptRecordOf(result, {
      deliveryId: delivery.id,
      attempt: delivery.attempts,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
    });
    if (result.outcome === "retry") {
      const delay = nextRetryDelay(retry, delivery.attempts, result.retryAfterMs);
      if (delay === undefined) record.error = `${result.error} (retries exhausted)`;
      else record.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    }
    const outcome = state && state.state !== "disabled" ? targetOutcomeOf(result) : undefined;
    const followUps = followUpsOf(result, event, delivery, this.options.planFollowUps);
    await this.record(
      followUps ? { ...record, followUps: followUps.record } : record,
      outcome && { target: delivery.target, outcome },
      followUps,
    );
    this.options.observer?.attemptFinished(finishedAttemptOf(delivery, record));
  }
}
