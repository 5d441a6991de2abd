import { describe, expect, it } from "vitest";
import { wildcardMatcher } from "../../src/routing/patterns.js";

/** The matcher this one replaced: a backtracking regular expression, `*` as `.*`. */
function regexpMatcher(pattern: string, caseInsensitive: boolean): (value: string) => boolean {
  const escapeText = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const source = pattern.split(/\*+/).map(escapeText).join(".*");
  const regexp = new RegExp(`^${source}$`, caseInsensitive ? "isu" : "su");
  return (value) => regexp.test(value);
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Characters where the two could disagree: repeats that tempt a wrong early match, case pairs
 * (`ß`/`ẞ`, the three sigmas, the Kelvin sign, `İ`), line breaks, a character outside the BMP
 * and a lone surrogate (matching is per code point), and regular-expression syntax.
 */
const ALPHABET = [
  "a",
  "a",
  "b",
  "A",
  "B",
  "/",
  "\n",
  ".",
  "ß",
  "ẞ",
  "σ",
  "ς",
  "Σ",
  "K",
  "k",
  "İ",
  "i",
  "😀",
  "\uD83D",
  "\uDE00",
];

function word(next: () => number, max: number, alphabet: string[]): string {
  let text = "";
  const length = Math.floor(next() * (max + 1));
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
  return text;
}

describe("wildcardMatcher", () => {
  it.each<[string, boolean, string, boolean]>([
    ["a*c", false, "abc", true],
    ["a*c", false, "a/b/c", true],
    ["a*c", false, "ac", true],
    ["a*c", false, "abd", false],
    ["a**c", false, "abc", true],
    ["*", false, "", true],
    ["", false, "", true],
    ["", false, "x", false],
    ["a.c", false, "abc", false],
    ["a.c", false, "a.c", true],
    ["(a)+[b]$^|?{1}\\", false, "(a)+[b]$^|?{1}\\", true],
    ["ABC", false, "abc", false],
    ["ABC", true, "abc", true],
    ["Ä*", true, "äx", true],
    ["a*", false, "a\nb", true],
    ["*a*", false, "bab", true],
    ["ab*ba", false, "aba", false],
    ["ab*ba", false, "abba", true],
    ["*x*y*", false, "yx", false],
    ["release/*/hotfix", false, "release/1/2/hotfix", true],
    ["WEB-*", true, "web-shop", true],
  ])("%j (case-insensitive: %s) on %j → %s", (pattern, caseInsensitive, value, expected) => {
    expect(wildcardMatcher(pattern, { caseInsensitive })(value)).toBe(expected);
  });

  it("answers a pattern built to make a backtracking matcher take minutes within a second", () => {
    const pattern = `${"*a".repeat(26)}*b`;
    const ref = "a".repeat(10_000);
    for (const caseInsensitive of [false, true]) {
      const match = wildcardMatcher(pattern, { caseInsensitive });
      const started = performance.now();
      expect(match(ref)).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it.each([
    { name: "a few letters", alphabet: ["a", "b"], caseInsensitive: false },
    { name: "a few letters", alphabet: ["a", "B"], caseInsensitive: true },
    {
      name: "case pairs, line breaks, surrogates and syntax",
      alphabet: ALPHABET,
      caseInsensitive: false,
    },
    {
      name: "case pairs, line breaks, surrogates and syntax",
      alphabet: ALPHABET,
      caseInsensitive: true,
    },
  ])(
    "agrees with the regular expression it replaced on random patterns and values of $name (case-insensitive: $caseInsensitive)",
    ({ alphabet, caseInsensitive }) => {
      const next = random(alphabet.length * (caseInsensitive ? 7 : 3));
      const disagreements: string[] = [];
      let matched = 0;
      for (let i = 0; i < 4000; i++) {
        const pattern = word(next, 6, [...alphabet, "*", "*"]);
        const ours = wildcardMatcher(pattern, { caseInsensitive });
        const theirs = regexpMatcher(pattern, caseInsensitive);
        for (let j = 0; j < 8; j++) {
          const value = word(next, 8, alphabet);
          const expected = theirs(value);
          if (expected) matched++;
          if (ours(value) !== expected) {
            disagreements.push(`${JSON.stringify(pattern)} on ${JSON.stringify(value)}`);
          }
        }
      }
      expect(disagreements).toEqual([]);
      // The comparison means something only if both answers occur often.
      expect(matched).toBeGreaterThan(1000);
    },
  );
});
