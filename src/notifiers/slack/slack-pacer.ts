/**
 * Slack allows about one message per second per incoming webhook (REFERENCE.md, "Outputs") and
 * answers a burst with 429s. The pacer spreads a burst instead: each webhook URL has a next free
 * slot, every message takes the next one and waits for it, and at its slot it checks the time of
 * the last message actually sent, so messages to one URL leave at least an interval apart even
 * when a timer fires late. Messages to other URLs are not held up. A 429 pushes the URL's next
 * message out by its `Retry-After`.
 *
 * Slots are kept in this process only: several Shipcast processes posting to one webhook each
 * keep their own pace (and Slack's 429 with `Retry-After` still corrects what they send).
 */

/** Where a message stands: it may go after `waitMs`, or its slot is `retryAfterMs` away. */
export type Slot = { waitMs: number } | { retryAfterMs: number };

interface Pace {
  /** The next slot to hand out: where the queue of waiting messages ends. */
  next: number;
  /** No message may leave before this: the last one sent plus the interval, or a 429's wait. */
  notBefore: number;
}

/** Entries beyond this many are pruned of URLs that have nothing waiting, so the map stays small. */
const PRUNE_ABOVE = 1_000;

/** The pace of messages per key (a webhook URL), `intervalMs` apart. */
export class SlackPacer {
  private readonly paces = new Map<string, Pace>();

  /**
   * @param intervalMs the least time between two messages to one URL
   * @param now the clock, in milliseconds
   */
  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes the next free slot of `key` when it is at most `maxWaitMs` away, and says how long to
   * wait for it; call `leave` then. A slot further away is not taken: the caller should come
   * back after `retryAfterMs` rather than wait past its own deadline.
   */
  take(key: string, maxWaitMs: number): Slot {
    const now = this.now();
    const pace = this.paces.get(key);
    const slot = Math.max(now, pace?.next ?? now, pace?.notBefore ?? now);
    const waitMs = slot - now;
    if (waitMs > maxWaitMs) return { retryAfterMs: waitMs };
    this.prune(now);
    this.paces.set(key, { next: slot + this.intervalMs, notBefore: pace?.notBefore ?? now });
    return { waitMs };
  }

  /**
   * At a message's slot: 0 when it may leave now (and it counts as sent now), else how much
   * longer it must wait (the message before it left late, or a 429 came meanwhile).
   */
  leave(key: string): number {
    const now = this.now();
    const pace = this.paces.get(key) ?? { next: now, notBefore: now };
    if (now < pace.notBefore) return pace.notBefore - now;
    this.paces.set(key, { next: Math.max(pace.next, now), notBefore: now + this.intervalMs });
    return 0;
  }

  /** Holds every message to `key` back until `delayMs` from now (a 429's `Retry-After`). */
  holdOff(key: string, delayMs: number): void {
    const until = this.now() + delayMs;
    const pace = this.paces.get(key);
    this.paces.set(key, {
      next: Math.max(pace?.next ?? until, until),
      notBefore: Math.max(pace?.notBefore ?? until, until),
    });
  }

  private prune(now: number): void {
    if (this.paces.size < PRUNE_ABOVE) return;
    for (const [key, pace] of this.paces) {
      if (pace.next <= now && pace.notBefore <= now) this.paces.delete(key);
    }
  }
}
