/**
 * Wildcard patterns for routing filters: `*` matches any run of characters, `/` and line breaks
 * included (GitLab's branch filters work this way, so `production/*` matches `production/a/b`);
 * every other character matches itself.
 *
 * Patterns come from untrusted places (an API token may create a notification), so matching
 * must never backtrack: a pattern is split on its stars into literal segments, the first must be
 * a prefix, the last a suffix, and each one between is found at its leftmost place after the one
 * before. Taking the leftmost place is always right (it leaves the most room for what follows),
 * so the value is scanned once from left to right, never again from an earlier position.
 */

/** Options of {@link wildcardMatcher}. */
export interface WildcardOptions {
  /** Project names are matched case-insensitively; branch names are not (git refs are not). */
  caseInsensitive: boolean;
}

/**
 * Compiles `pattern` once into a predicate that is true when the whole value matches it.
 * A pattern without `*` is an exact comparison (modulo case when `caseInsensitive`).
 *
 * Characters are compared as code points, and case-insensitively with Unicode simple case
 * folding (what a regular expression's `iu` flags do): each literal segment is a regular
 * expression without quantifiers, which cannot backtrack.
 */
export function wildcardMatcher(
  pattern: string,
  options: WildcardOptions,
): (value: string) => boolean {
  const flags = options.caseInsensitive ? "iu" : "u";
  const segments = pattern.split(/\*+/);
  const first = segments[0] as string;
  if (segments.length === 1) {
    if (!options.caseInsensitive) return (value) => value === pattern;
    const exact = sticky(first, flags);
    return (value) => endOfMatch(exact, value, 0) === value.length;
  }
  const last = segments[segments.length - 1] as string;
  const prefix = sticky(first, flags);
  const suffix = sticky(last, flags);
  const inner = segments
    .slice(1, -1)
    .map((segment) => new RegExp(escapeRegExp(segment), `${flags}g`));
  return (value) => {
    let position = first === "" ? 0 : endOfMatch(prefix, value, 0);
    if (position < 0) return false;
    for (const segment of inner) {
      segment.lastIndex = position;
      const found = segment.exec(value);
      if (found === null) return false;
      position = found.index + found[0].length;
    }
    if (last === "") return true;
    // A case-folded character has the length of the one it matches (simple case folding maps a
    // code point to one of the same plane), so the suffix can only start here.
    const start = value.length - last.length;
    return start >= position && endOfMatch(suffix, value, start) === value.length;
  };
}

/** A regular expression matching `text` literally, only where `lastIndex` points. */
function sticky(text: string, flags: string): RegExp {
  return new RegExp(escapeRegExp(text), `${flags}y`);
}

/** Where the sticky `regexp` ends when it matches `value` at `index`; -1 when it does not. */
function endOfMatch(regexp: RegExp, value: string, index: number): number {
  regexp.lastIndex = index;
  const found = regexp.exec(value);
  return found !== null && found.index === index ? index + found[0].length : -1;
}

/** Escapes the characters that are syntax in a regular expression (valid in `u` mode too). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
