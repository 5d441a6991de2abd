import type { Context } from "hono";
import type { ApiEnv } from "./api-env.js";

/**
 * A sliding-window limit per caller for the operations that make outgoing requests on demand
 * (test, resend). GitLab allows 5 test deliveries per minute per user; so do we, per token.
 * Counted in this process: with several processes behind a balancer, each counts its own.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Takes one use for `key`; when none is left, how many seconds until one is. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      const oldest = recent[0] ?? now;
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)),
      };
    }
    recent.push(now);
    this.hits.set(key, recent);
    return { ok: true };
  }
}

/**
 * The check a rate-limited route's handler makes once its request is valid (an invalid one is
 * not counted): undefined while the caller has uses left, else the 429 to answer.
 */
export type RateLimit = ReturnType<typeof rateLimitWith>;

/** {@link RateLimit} over `limiter`, per calling token. */
export function rateLimitWith(limiter: RateLimiter) {
  return (c: Context<ApiEnv>) => {
    const taken = limiter.take(c.var.principal.key);
    if (taken.ok) return undefined;
    return c.json(
      {
        error: `too many test and resend requests: at most 5 a minute per token; retry in ${taken.retryAfterSeconds} s`,
      },
      429,
      { "retry-after": String(taken.retryAfterSeconds) },
    );
  };
}
