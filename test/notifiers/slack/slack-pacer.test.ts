import { describe, expect, it } from "vitest";
import { SlackPacer } from "../../../src/notifiers/slack/slack-pacer.js";

/** A pacer on a clock the test moves by hand. */
function pacerAt(start = 10_000, intervalMs = 1_000) {
  const clock = { now: start };
  return { clock, pacer: new SlackPacer(intervalMs, () => clock.now) };
}

describe("SlackPacer", () => {
  it("hands a burst to one URL slots one interval apart, the first at once", () => {
    const { pacer } = pacerAt();
    expect([1, 2, 3].map(() => pacer.take("a", 5_000))).toEqual([
      { waitMs: 0 },
      { waitMs: 1_000 },
      { waitMs: 2_000 },
    ]);
  });

  it("keeps one URL's queue from holding up another", () => {
    const { pacer } = pacerAt();
    pacer.take("a", 5_000);
    pacer.take("a", 5_000);
    expect(pacer.take("b", 5_000)).toEqual({ waitMs: 0 });
  });

  it("does not take a slot beyond the caller's wait, and says how far away it is", () => {
    const { pacer } = pacerAt();
    pacer.take("a", 5_000);
    pacer.take("a", 5_000);
    expect(pacer.take("a", 1_500)).toEqual({ retryAfterMs: 2_000 });
    // Nothing was reserved for the refused one: the next caller gets the same slot.
    expect(pacer.take("a", 5_000)).toEqual({ waitMs: 2_000 });
  });

  it("lets a message leave at its slot, and holds the next back when one left late", () => {
    const { clock, pacer } = pacerAt();
    pacer.take("a", 5_000);
    expect(pacer.leave("a")).toBe(0);
    pacer.take("a", 5_000);
    pacer.take("a", 5_000);
    // The second message's timer fires 300 ms late; the third's on time at +2000.
    clock.now += 1_300;
    expect(pacer.leave("a")).toBe(0);
    clock.now += 700;
    expect(pacer.leave("a")).toBe(300);
    clock.now += 300;
    expect(pacer.leave("a")).toBe(0);
  });

  it("holds every message back by a 429's Retry-After, and only for that URL", () => {
    const { clock, pacer } = pacerAt();
    pacer.take("a", 5_000);
    pacer.leave("a");
    const waiting = pacer.take("a", 5_000);
    expect(waiting).toEqual({ waitMs: 1_000 });
    pacer.holdOff("a", 3_000);
    // The message already waiting for +1000 is held at its slot until +3000.
    clock.now += 1_000;
    expect(pacer.leave("a")).toBe(2_000);
    // A new one queues after the hold.
    expect(pacer.take("a", 10_000)).toEqual({ waitMs: 2_000 });
    expect(pacer.take("b", 10_000)).toEqual({ waitMs: 0 });
  });

  it("frees a URL once its last slot has passed", () => {
    const { clock, pacer } = pacerAt();
    pacer.take("a", 5_000);
    pacer.leave("a");
    clock.now += 5_000;
    expect(pacer.take("a", 0)).toEqual({ waitMs: 0 });
  });
});
