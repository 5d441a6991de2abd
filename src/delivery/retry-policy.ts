/** Svix's schedule, which GitLab-style users also know: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a comma list of durations (`200ms,5s,5m,2h,1d`) into milliseconds. Throws with the
 * offending item named.
 */
export function parseDurationList(text: string): number[] {
  return text.split(",").map((item) => parseDuration(item.trim()));
}

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (use e.g. 200ms, 5s, 5m, 2h, 1d)`);
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}

export interface RetryPolicy {
  /** Delays after the 1st, 2nd, … failed attempt; its length is the number of retries. */
  schedule: number[];
  /** ± fraction of random jitter, so retries of many deliveries do not arrive together. */
  jitter: number;
  /** A `Retry-After` never makes a delay longer than this. */
  maxRetryAfterMs: number;
}

export function createRetryPolicy(schedule: number[], jitter = 0.2): RetryPolicy {
  const longest = Math.max(0, ...schedule);
  return { schedule, jitter, maxRetryAfterMs: Math.max(longest, 3_600_000) };
}

/**
 * The delay before the next attempt after `attempt` (1-based) failed, or undefined when the
 * schedule is exhausted. `Retry-After` only ever lengthens the scheduled delay, up to the cap.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = policy.schedule[attempt - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + policy.jitter * (2 * random() - 1)));
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}
