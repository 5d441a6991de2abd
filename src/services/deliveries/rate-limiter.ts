/**
 * A sliding-window limit per caller for the operations that make outgoing requests on demand
 * (test, resend). GitLab allows 5 test deliveries per minute per user; so do we, per token
 * (the API and the dashboard share one count). Counted in this process: with several processes
 * behind a balancer, each counts its own.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Whether `key` has no use left now (without taking one). */
  exhausted(key: string, now = Date.now()): boolean {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    return recent.length >= this.limit;
  }

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
