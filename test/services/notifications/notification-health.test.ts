import { describe, expect, it } from "vitest";
import {
  DISABLE_AFTER_FAILURES,
  type Health,
  MAX_PAUSE_MS,
  nextHealth,
  pauseFor,
  stateOf,
} from "../../../src/services/notifications/notification-health.js";

const healthy: Health = {
  enabled: true,
  consecutiveFailures: 0,
  disabledUntil: null,
  disabledReason: null,
};
const now = Date.parse("2026-11-23T10:00:00Z");

function failTimes(n: number, start: Health = healthy) {
  let health = start;
  const changes = [];
  for (let i = 0; i < n; i++) {
    const next = nextHealth(health, { type: "failure", error: "500 boom" }, now);
    health = next.health;
    if (next.change) changes.push(next.change);
  }
  return { health, changes };
}

describe("notification health", () => {
  it("stays active through three failures and pauses for a minute at the fourth", () => {
    expect(failTimes(3).changes).toEqual([]);
    const { health, changes } = failTimes(4);
    expect(stateOf(health, now)).toBe("paused");
    expect(Date.parse(health.disabledUntil ?? "") - now).toBe(60_000);
    expect(changes).toEqual([expect.objectContaining({ state: "paused", announce: true })]);
  });

  it("doubles the pause with each further failure, up to 24 hours, announcing only the first", () => {
    expect([4, 5, 6, 7].map(pauseFor)).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(pauseFor(39)).toBe(MAX_PAUSE_MS);
    const { changes } = failTimes(10);
    expect(changes.filter((c) => c.announce)).toHaveLength(1);
    expect(changes).toHaveLength(7);
  });

  it("disables after 40 consecutive failures until re-enabled", () => {
    const { health, changes } = failTimes(DISABLE_AFTER_FAILURES);
    expect(health.enabled).toBe(false);
    expect(stateOf(health, now + 48 * 3_600_000)).toBe("disabled");
    expect(changes.at(-1)).toMatchObject({ state: "disabled", announce: true });
    expect(health.disabledReason).toMatch(
      /after 40 consecutive failed deliveries; last error: 500 boom/,
    );
    // A later success (a manual resend) resets the count but does not re-enable it.
    const after = nextHealth(health, { type: "success" }, now);
    expect(after.health).toMatchObject({ enabled: false, consecutiveFailures: 0 });
  });

  it("resets the count on any success and announces the recovery of a paused notification", () => {
    const twice = failTimes(2).health;
    expect(nextHealth(twice, { type: "success" }, now)).toEqual({
      health: { ...healthy },
    });
    const paused = failTimes(5).health;
    const recovered = nextHealth(paused, { type: "success" }, now);
    expect(recovered.health).toEqual(healthy);
    expect(recovered.change).toMatchObject({ state: "active", announce: true });
  });

  it("disables at once when the receiver is gone", () => {
    const { health, change } = nextHealth(
      healthy,
      { type: "gone", reason: "the receiver answered 410 Gone" },
      now,
    );
    expect(health.enabled).toBe(false);
    expect(change).toMatchObject({
      state: "disabled",
      reason: "disabled: the receiver answered 410 Gone",
    });
  });
});
