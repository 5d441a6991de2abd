import { describe, expect, it } from "vitest";
import { idFloor, ulid } from "../../src/store/ids.js";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The 80 random bits of a ULID as a bigint (the reference decoding). */
function randomPart(id: string): bigint {
  let bits = 0n;
  for (const char of id.slice(10)) bits = bits * 32n + BigInt(CROCKFORD.indexOf(char));
  return bits;
}

describe("ULIDs", () => {
  it("are 26 Crockford base-32 characters led by the time", () => {
    const id = ulid(1_800_000_000_000);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(`evt_${id}` >= idFloor("evt", 1_800_000_000_000)).toBe(true);
    expect(`evt_${id}` < idFloor("evt", 1_800_000_000_001)).toBe(true);
  });

  it("count up by one within a millisecond, so they sort in creation order", () => {
    const at = 1_900_000_000_000;
    const ids = Array.from({ length: 1000 }, () => ulid(at));
    expect([...ids].sort()).toEqual(ids);
    for (let i = 1; i < ids.length; i++) {
      expect(randomPart(ids[i] as string) - randomPart(ids[i - 1] as string)).toBe(1n);
    }
  });

  it("draw fresh random bits in each new millisecond, spread over the whole range", () => {
    const start = 2_000_000_000_000;
    const ids = Array.from({ length: 4000 }, (_, i) => ulid(start + i));
    expect(new Set(ids.map(randomPart)).size).toBe(ids.length);
    // The top 5 of the 80 bits are the first random character: every one of the 32 shows up.
    expect(new Set(ids.map((id) => id[10])).size).toBe(32);
    // And the lowest 5 bits, the last character (encoded from the second half of the bytes).
    expect(new Set(ids.map((id) => id[25])).size).toBe(32);
  });
});
