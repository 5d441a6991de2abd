import type { Transaction } from "kysely";
import type { DeployEvent } from "../events/deploy-event.js";
import type { Logger } from "../logging/logger.js";
import type { AttemptResult } from "../notifiers/kit/notifier.js";
import type { NotifierRegistry } from "../notifiers/kit/registry.js";
import type { Store } from "../store/database.js";
import {
  type ClaimedDelivery,
  claimDue,
  deferDelivery,
  nextReadyAt,
  releaseAllLeases,
} from "../store/delivery-claims.js";
import { lockQueues } from "../store/delivery-queues.js";
import { type AttemptRecord, writeAttempts } from "../store/delivery-records.js";
import type { Database } from "../store/schema.js";
import { attemptRecordOf } from "./attempt-record.js";
import {
  type DeliveryObserver,
  type FinishedAttempt,
  finishedAttemptOf,
} from "./delivery-observer.js";
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
  // Held back before sending (Slack's pacing): nothing was learnt about the receiver.
  if (result.notSent) return undefined;
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

/** An event as the attempts of its deliveries share it: parsed once, with a notifiers' memo. */
interface SharedEvent {
  event: DeployEvent;
  memo: Map<string, unknown>;
}

/** An attempt's record waiting for the next round, with what commits with it. */
interface PendingRecord {
  record: AttemptRecord;
  /** What the observer is told once the record is committed. */
  finished: FinishedAttempt;
  health?: { target: string; outcome: TargetOutcome };
  followUps?: FollowUps;
}

/**
 * An attempt's signal: aborted after `ms` with a `TimeoutError`, as `AbortSignal.timeout` does,
 * but with its timer dropped as soon as the attempt ends. `AbortSignal.timeout` keeps its timer
 * (and the signal) until it fires: at thousands of attempts a second, tens of thousands of
 * timers waiting out their 10 s for nothing.
 */
function attemptTimeout(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      ),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Longest wait for more finished attempts before a round, when the buffer is not running low. */
const GATHER_MS = 4;

/**
 * Claimed deliveries waiting for a slot, at most, in multiples of the concurrency. Each round
 * (one transaction: begin, the records, the claim, commit) has a fixed cost; claiming further
 * ahead lets one round record and claim about twice the concurrency instead of a few deliveries,
 * which the fan-out benchmark measured as about 5 % more deliveries a second (and the drain of
 * a backlog as half again as fast).
 */
const CLAIM_AHEAD = 5;

/**
 * A claim's lease, in attempt timeouts (plus a second): what a dead process's claims wait before
 * another process takes them (PostgreSQL). Shorter than the deepest wait in the buffer when
 * receivers hang (`CLAIM_AHEAD` timeouts): a claimed delivery is started only while its lease
 * outlasts an attempt (`LEASE_MARGIN_MS` to spare), and given back otherwise.
 */
const LEASE_TIMEOUTS = 3;

/** Lease an attempt must have left when it starts, beyond its timeout (its recording). */
const LEASE_MARGIN_MS = 1000;

/** Finished attempts worth a round of their own, in multiples of the concurrency. */
const ROUND_RECORDS = 2;

/**
 * The outbox workers: claim due deliveries (heads of their target-and-subject queues), call the
 * notifier with a timeout, record every attempt, and schedule the retry or finish. A claim is a
 * lease: if the process dies mid-attempt the lease runs out and the delivery is attempted again
 * (at-least-once, with the same delivery id). On SQLite, the one process frees leases at start.
 *
 * The store is used in rounds: one transaction records the attempts finished since the last
 * round and claims what the buffer has room for, so the delivery that follows a recorded one in
 * its queue is claimed in the very transaction that recorded it, by this process, without
 * waiting for a poll.
 */
export class DeliveryWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Attempts running (their notifier call); a slot frees as soon as the call returns. */
  private inFlight = new Set<Promise<void>>();
  /**
   * Claimed (leased) deliveries waiting for a free slot: claims are made in batches, up to
   * `CLAIM_AHEAD` times the concurrency ahead of the running ones.
   */
  private queued: ClaimedDelivery[] = [];
  /** Attempts finished and not yet recorded: the next round writes them. */
  private records: PendingRecord[] = [];
  /** Parsed events by id, for the deliveries of one event claimed close together. */
  private events = new Map<string, SharedEvent>();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  /** Deliveries were written (or a queue moved on) since the last round. */
  private newWork = false;
  private readonly pollIntervalMs: number;
  private readonly everyEventKinds: ReadonlySet<string>;
  private readonly eventCacheSize: number;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.everyEventKinds = everyEventKinds(options.registry);
    this.eventCacheSize = 8 * options.concurrency + 64;
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

  /** Look for due deliveries now (new ones were written, or a queue moved on). */
  wake(): void {
    this.newWork = true;
    this.nudge();
  }

  /** Resumes the loop if it sleeps (an attempt finished). */
  private nudge(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming, gives back the deliveries claimed but not started (due again at once, for
   * any process), and waits for the attempts in flight to finish and be recorded.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    const until = new Date().toISOString();
    const unstarted = this.queued.splice(0);
    await Promise.all(
      unstarted.map((delivery) =>
        deferDelivery(this.options.store.db, {
          id: delivery.id,
          attempt: delivery.attempts,
          until,
        }).catch(() => {
          // Its lease runs out instead (SQLite frees it at the next start).
        }),
      ),
    );
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    while (this.records.length > 0) {
      await this.round(0).catch((error: unknown) =>
        this.options.log.error({ err: error }, "could not record delivery attempts"),
      );
    }
  }

  /** Deliveries this process can still take: up to `CLAIM_AHEAD` × concurrency waiting. */
  private room(): number {
    const { concurrency } = this.options;
    return Math.max(0, (CLAIM_AHEAD + 1) * concurrency - this.inFlight.size - this.queued.length);
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    let failures = 0;
    while (this.running) {
      this.woken = false;
      this.newWork = false;
      const room = this.room();
      let claimed = 0;
      if (room > 0 || this.records.length > 0) {
        try {
          claimed = await this.round(room);
          failures = 0;
        } catch (error) {
          failures++;
          log.error({ err: error }, "delivery worker: claiming failed; will retry");
        }
      }
      if (!this.running) break;
      if (failures > 0) {
        await this.sleep(Math.min(30_000, 250 * 2 ** failures));
        continue;
      }
      if (this.records.length > 0 || this.woken || (claimed > 0 && claimed === room)) {
        await this.gather();
        continue;
      }
      // Busy (a finishing attempt wakes the loop), or idle until the next retry is due.
      await this.sleep(this.room() === 0 ? this.pollIntervalMs : await this.idleDelay());
    }
  }

  /**
   * Lets finishing attempts come in before the next round, so that one round records several:
   * at most `GATHER_MS`, and not at all when the claimed buffer runs low or new deliveries wait
   * (a queue's next delivery is claimed by the round that records the previous one).
   */
  private async gather(): Promise<void> {
    await yieldToEventLoop();
    const { concurrency } = this.options;
    const until = performance.now() + GATHER_MS;
    for (;;) {
      const left = until - performance.now();
      if (!this.running || this.newWork || left <= 0) return;
      if (this.records.length >= ROUND_RECORDS * concurrency) return;
      if (this.queued.length < concurrency) return;
      this.woken = false;
      await this.sleep(left);
    }
  }

  /** Until the next queue head is ready, at most the poll interval. */
  private async idleDelay(): Promise<number> {
    const ready = await nextReadyAt(this.options.store.db).catch(() => undefined);
    if (!ready) return this.pollIntervalMs;
    const delay = Date.parse(ready) - Date.now();
    // A head ready already but not claimed waits for a delivery in flight: its recording (here,
    // or by another process, which then claims it) moves the queue on.
    if (delay <= 0) return this.pollIntervalMs;
    return Math.max(5, Math.min(this.pollIntervalMs, delay));
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

  /**
   * One round: records the finished attempts and claims up to `room` deliveries, in one
   * transaction. Returns how many were claimed. Should the round fail, the records are written
   * on their own; should that fail too, their leases run out and the deliveries are sent again.
   */
  private async round(room: number): Promise<number> {
    const { store, timeoutMs, log } = this.options;
    const batch = this.records.splice(0);
    const now = Date.now();
    // Long enough for a short wait in the buffer and the attempt; a delivery that waited longer
    // is given back rather than started (`pump`), so only a dead process loses a lease.
    const leaseUntil = new Date(now + LEASE_TIMEOUTS * timeoutMs + 1000).toISOString();
    let healthChanged = false;
    const claim = {
      now: new Date(now).toISOString(),
      leaseUntil,
      limit: this.running ? room : 0,
      everyEventKinds: this.everyEventKinds,
    };
    let result: Awaited<ReturnType<typeof claimDue>>;
    try {
      result = await store.workTransaction(async (trx) => {
        if (await this.writeRecords(trx, batch)) healthChanged = true;
        return claimDue(trx, claim);
      });
    } catch (error) {
      if (batch.length === 0) throw error;
      log.error({ err: error }, "delivery worker: a round failed; recording its attempts alone");
      healthChanged = false;
      try {
        await store.workTransaction(async (trx) => {
          if (await this.writeRecords(trx, batch)) healthChanged = true;
        });
        this.observeRecorded(batch);
      } catch (again) {
        // The leases will run out and the deliveries be attempted again: at-least-once.
        log.error({ err: again }, "could not record delivery attempts");
      }
      await this.afterHealthChange(healthChanged);
      return 0;
    }
    this.observeRecorded(batch);
    await this.afterHealthChange(healthChanged);
    if (result.superseded.length > 0) this.options.observer?.superseded(result.superseded);
    // A superseded head moved its queue on: the next one may be claimable already.
    if (result.superseded.length > 0) this.wake();
    this.queued.push(...result.claimed);
    this.pump();
    return result.claimed.length;
  }

  /**
   * Tells the observer (the log lines, the metrics) of attempts whose records are committed: an
   * attempt counts once it is on record, never before (a round that fails tells nothing).
   */
  private observeRecorded(batch: readonly PendingRecord[]): void {
    const { observer } = this.options;
    if (observer) for (const entry of batch) observer.attemptFinished(entry.finished);
  }

  /**
   * Writes `batch` in `trx` (after taking its queues' locks), with each applied record's refused
   * follow-ups and health outcome; true when a target's health changed.
   */
  private async writeRecords(trx: Transaction<Database>, batch: PendingRecord[]): Promise<boolean> {
    if (batch.length === 0) return false;
    const { health } = this.options;
    const entries = new Map(batch.map((b) => [b.record, b]));
    await lockQueues(
      trx,
      batch.map((b) => b.record.deliveryId),
    );
    const applied = await writeAttempts(
      trx,
      batch.map((b) => b.record),
    );
    let changed = false;
    for (const record of applied) {
      const entry = entries.get(record);
      if (entry?.followUps?.skipped.length) await writeSkippedFollowUps(trx, entry.followUps);
      const outcome = entry?.health;
      if (!outcome || !health) continue;
      if (await health.applyOutcome(trx, outcome.target, outcome.outcome)) changed = true;
    }
    return changed;
  }

  /** A pause or a disable must be seen by the next claims; alert deliveries were written. */
  private async afterHealthChange(changed: boolean): Promise<void> {
    if (!changed || !this.options.health) return;
    await this.options.health
      .reload()
      .catch((error: unknown) =>
        this.options.log.error({ err: error }, "could not reload the notifications' health"),
      );
    this.wake();
  }

  /**
   * Gives back a claimed delivery whose lease would run out during its attempt (it waited in the
   * buffer while receivers hung): due again at once, for the next claim of any process, under a
   * fresh lease. Were it started, its lease could run out mid-attempt and it could be claimed and
   * sent a second time.
   */
  private giveBack(delivery: ClaimedDelivery): void {
    deferDelivery(this.options.store.db, {
      id: delivery.id,
      attempt: delivery.attempts,
      until: new Date().toISOString(),
    })
      .then(() => this.wake())
      .catch((error: unknown) =>
        this.options.log.error(
          { err: error, delivery: delivery.id },
          "could not give back a delivery; its lease will run out",
        ),
      );
  }

  /** Starts queued deliveries while slots are free. */
  private pump(): void {
    const { timeoutMs } = this.options;
    while (this.running && this.inFlight.size < this.options.concurrency) {
      const delivery = this.queued.shift();
      if (!delivery) break;
      const leaseLeft = Date.parse(delivery.lease_until ?? "") - Date.now();
      if (!(leaseLeft >= timeoutMs + LEASE_MARGIN_MS)) {
        this.giveBack(delivery);
        continue;
      }
      const task = this.attempt(delivery)
        .catch((error: unknown) => {
          // The lease runs out and the delivery is attempted again.
          this.options.log.error({ err: error, delivery: delivery.id }, "delivery attempt failed");
        })
        .finally(() => {
          this.inFlight.delete(task);
          this.pump();
          this.nudge();
        });
      this.inFlight.add(task);
    }
  }

  /** The event of a claimed delivery, parsed once for all the deliveries of that event. */
  private sharedEvent(delivery: ClaimedDelivery): SharedEvent {
    const known = this.events.get(delivery.event_id);
    if (known) return known;
    const shared = { event: JSON.parse(delivery.normalized) as DeployEvent, memo: new Map() };
    this.events.set(delivery.event_id, shared);
    if (this.events.size > this.eventCacheSize) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
    return shared;
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
      const shared = this.sharedEvent(delivery);
      event = shared.event;
      const timeout = attemptTimeout(timeoutMs);
      try {
        result = await notifier.deliver(target.settings, {
          deliveryId: delivery.id,
          eventId: delivery.event_id,
          event,
          attempt: delivery.attempts,
          signal: timeout.signal,
          deadline: Date.now() + timeoutMs,
          memo: shared.memo,
        });
      } catch (error) {
        // A notifier must classify its failures; an escaped error is a bug, retried safely.
        result = { outcome: "retry", error: `notifier error: ${(error as Error).message}` };
      } finally {
        timeout.clear();
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
    // Recorded by the next round, which then tells the observer; the slot is free for the next
    // delivery meanwhile.
    this.records.push({
      record: followUps ? { ...record, followUps: followUps.record } : record,
      finished: finishedAttemptOf(delivery, record),
      health: outcome && { target: delivery.target, outcome },
      followUps,
    });
  }
}
