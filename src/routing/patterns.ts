/**
 * Wildcard patterns for routing filters: `*` matches any run of characters, `/` included
 * (GitLab's branch filters work this way, so `production/*` matches `production/a/b`); every
 * other character matches itself.
 */

/** Options of {@link wildcardMatcher}. */
export interface WildcardOptions {
  /** Project names are matched case-insensitively; branch names are not (git refs are not). */
  caseInsensitive: boolean;
}

/**
 * Compiles `pattern` once into a predicate that is true when the whole value matches it.
 * A pattern without `*` is an exact comparison (modulo case when `caseInsensitive`).
 */
export function wildcardMatcher(
  pattern: string,
  options: WildcardOptions,
): (value: string) => boolean {
  // Consecutive stars mean the same as one; collapsing them keeps the regular expression from
  // backtracking over the same characters several ways.
  const source = pattern.split(/\*+/).map(escapeRegExp).join(".*");
  // `u` for case folding beyond ASCII, `s` so `.` also matches line breaks: a value is data, not
  // a line of text.
  const regexp = new RegExp(`^${source}$`, options.caseInsensitive ? "isu" : "su");
  return (value) => regexp.test(value);
}

/** Escapes the characters that are syntax in a regular expression (valid in `u` mode too). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
