/**
 * Auto-disable that heals (REFERENCE.md, "Outgoing webhooks"), as GitLab does it for project
 * hooks: after 4 consecutive failed attempts a notification pauses for 1 minute, each further
 * failure doubles the pause up to 24 hours, and after 40 it is disabled until a user re-enables
 * it. Any success resets the count. A `410 Gone` disables at once. Pure: the store applies it.
 */

/** Consecutive failures that start the first pause. */
export const PAUSE_AFTER_FAILURES = 4;
/** Consecutive failures that disable the notification until re-enabled. */
export const DISABLE_AFTER_FAILURES = 40;
/** The first pause; each further failure doubles it. */
export const FIRST_PAUSE_MS = 60_000;
/** The longest pause. */
export const MAX_PAUSE_MS = 24 * 3_600_000;

/** A notification's delivery health, as stored. */
export interface Health {
  enabled: boolean;
  consecutiveFailures: number;
  /** ISO time the current pause ends, if paused. */
  disabledUntil: string | null;
  disabledReason: string | null;
}

/** What one finished attempt says about the receiver. */
export type HealthOutcome =
  | { type: "success" }
  | { type: "failure"; error: string }
  /** The receiver is gone for good (410): disable now. */
  | { type: "gone"; reason: string };

/** A change of state, to record and (when the state itself changed) announce. */
export interface HealthChange {
  state: "active" | "paused" | "disabled";
  reason: string;
  /** False for a longer pause of a paused notification: recorded, not announced again. */
  announce: boolean;
}

/** `active`, `paused` (until `disabledUntil`) or `disabled`, at `now`. */
export function stateOf(health: Health, now: number = Date.now()): HealthChange["state"] {
  if (!health.enabled) return "disabled";
  if (health.disabledUntil !== null && Date.parse(health.disabledUntil) > now) return "paused";
  return "active";
}

/** The pause after `failures` consecutive failures (at least `PAUSE_AFTER_FAILURES`). */
export function pauseFor(failures: number): number {
  const doublings = Math.max(0, failures - PAUSE_AFTER_FAILURES);
  // 2^11 minutes is past the cap already; stop there so the number stays small.
  return Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(doublings, 11));
}

/** `1 min`, `2 h`, `1 h 4 min`: a pause for people. */
export function formatPause(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** The health after `outcome`, and the change of state it makes, if any. */
export function nextHealth(
  health: Health,
  outcome: HealthOutcome,
  now: number = Date.now(),
): { health: Health; change?: HealthChange } {
  const before = stateOf(health, now);
  if (outcome.type === "success") {
    const next: Health = {
      enabled: health.enabled,
      consecutiveFailures: 0,
      disabledUntil: null,
      disabledReason: health.enabled ? null : health.disabledReason,
    };
    const wasFailing = health.consecutiveFailures >= PAUSE_AFTER_FAILURES;
    if (health.enabled && wasFailing) {
      return {
        health: next,
        change: {
          state: "active",
          reason: `delivered again after ${health.consecutiveFailures} consecutive failures`,
          announce: true,
        },
      };
    }
    return { health: next };
  }
  if (!health.enabled) return { health };
  if (outcome.type === "gone") {
    const reason = `disabled: ${outcome.reason}`;
    return {
      health: {
        enabled: false,
        consecutiveFailures: health.consecutiveFailures + 1,
        disabledUntil: null,
        disabledReason: reason,
      },
      change: { state: "disabled", reason, announce: true },
    };
  }
  const failures = health.consecutiveFailures + 1;
  if (failures >= DISABLE_AFTER_FAILURES) {
    const reason = `disabled after ${failures} consecutive failed deliveries; last error: ${outcome.error}`;
    return {
      health: {
        enabled: false,
        consecutiveFailures: failures,
        disabledUntil: null,
        disabledReason: reason,
      },
      change: { state: "disabled", reason, announce: true },
    };
  }
  if (failures >= PAUSE_AFTER_FAILURES) {
    const pause = pauseFor(failures);
    const reason = `paused for ${formatPause(pause)} after ${failures} consecutive failed deliveries; last error: ${outcome.error}`;
    return {
      health: {
        enabled: true,
        consecutiveFailures: failures,
        disabledUntil: new Date(now + pause).toISOString(),
        disabledReason: reason,
      },
      change: {
        state: "paused",
        reason,
        announce: before !== "paused" && failures === PAUSE_AFTER_FAILURES,
      },
    };
  }
  return { health: { ...health, consecutiveFailures: failures } };
}
