/**
 * The one redactor of the outputs: what replaces a secret in an attempt's result, which secrets
 * are replaced in free text and how, and the credential shapes removed from any message bound
 * for the delivery log. Every output passes what it returns through here, so the log reads the
 * same whichever output wrote it.
 */
import type { AttemptResult } from "./notifier.js";

/** What a redacted value reads in the delivery log. */
export const REDACTED = "[redacted]";

/**
 * Secrets shorter than this are replaced only where they stand alone (not inside a longer word
 * or number): a short value such as a header's `web` or `1` also occurs by chance in ordinary
 * text, and replacing it there would garble the log without hiding anything. Longer ones are
 * replaced wherever they occur.
 */
export const SHORT_SECRET_LENGTH = 8;

/**
 * Credential shapes in free text: URL user info (`https://user:pass@host`), credential headers
 * as an error may quote them (`"private-token": "…"`, `Authorization: Bearer …`), GitHub tokens
 * (`ghs_…`, `ghp_…`, `github_pat_…`, legacy `v1.` + 40 hex), JWTs, and whatever follows a
 * `Bearer`/`token` scheme. The replacement keeps the name or scheme and drops the value.
 */
const CREDENTIAL_PATTERNS: ReadonlyArray<[RegExp, string, RegExp]> = [
  // User info stops at anything a URL's authority cannot hold, so an `@` further on in the
  // text (an email address in the same JSON) does not take the text between with it.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#\s@"'<>[\]{}|\\^`]*@/gi, `$1${REDACTED}@`, /:\/\//],
  [
    /(["']?(?:private-token|job-token|authorization)["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token)\s+)?[^"'\s,;}]+/gi,
    `$1${REDACTED}`,
    /private-token|job-token|authorization/i,
  ],
  [/\bgh[opsur]_[A-Za-z0-9_]{16,}/g, REDACTED, /gh[opsur]_/],
  [/\bgithub_pat_[A-Za-z0-9_]{16,}/g, REDACTED, /github_pat_/],
  [/\bv1\.[0-9a-f]{40}\b/g, REDACTED, /v1\./],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED, /eyJ/],
  [/\b(bearer|token)\s+[A-Za-z0-9._~+/-]{20,}=*/gi, `$1 ${REDACTED}`, /bearer|token/i],
];

/** Every pattern's literal part in one search: most texts hold none and are done with one scan. */
const ANY_CREDENTIAL_LITERAL = new RegExp(
  CREDENTIAL_PATTERNS.map(([, , literal]) => literal.source).join("|"),
  "i",
);

/**
 * Replaces anything shaped like a credential in `text` (see `CREDENTIAL_PATTERNS`). Each pattern
 * runs only on a text holding its literal part (`://`, `eyJ`, a header name…): a plain search
 * for that is many times cheaper than the pattern itself, and most texts (a receiver's `ok`, the
 * event's JSON) hold none, which matters when every attempt's record passes through here.
 */
export function redactCredentials(text: string): string {
  if (!ANY_CREDENTIAL_LITERAL.test(text)) return text;
  let redacted = text;
  for (const [pattern, replacement, literal] of CREDENTIAL_PATTERNS) {
    if (literal.test(redacted)) redacted = redacted.replace(pattern, replacement);
  }
  return redacted;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A function that replaces every known secret in a text with `REDACTED`, in the forms it could
 * come back in: as given and percent-encoded (a receiver echoing a URL). Longer secrets go
 * first, so a secret inside another never leaves half of the other in clear; secrets shorter
 * than `SHORT_SECRET_LENGTH` only where they stand alone. Empty and undefined entries are
 * ignored. Credential shapes (`redactCredentials`) are removed too.
 *
 * `credentialCache`, when given, keeps `redactCredentials` of the texts that hold none of these
 * secrets, for scrubbers whose texts repeat (the deliveries of one event to several targets send
 * the same body): keep it no longer than those texts are in use.
 */
export function secretScrubber(
  secrets: Iterable<string | undefined>,
  credentialCache?: Map<string, string>,
): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === "") continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  // Each pattern is compiled when a text first holds its form: most scrubbers (one an attempt)
  // never meet their secrets, and compiling a handful of patterns per attempt added up.
  const patterns: Array<{ form: string; pattern?: RegExp }> = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form) => ({ form }));
  const patternOf = (entry: { form: string; pattern?: RegExp }): RegExp => {
    const { form } = entry;
    entry.pattern ??=
      form.length >= SHORT_SECRET_LENGTH
        ? new RegExp(escapeRegExp(form), "g")
        : new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`, "g");
    return entry.pattern;
  };
  return (text) => {
    let scrubbed = text;
    // `includes` first: a text without the secret (nearly every one) costs a plain search.
    for (const entry of patterns) {
      if (scrubbed.includes(entry.form)) scrubbed = scrubbed.replace(patternOf(entry), REDACTED);
    }
    if (credentialCache === undefined || scrubbed !== text) return redactCredentials(scrubbed);
    let redacted = credentialCache.get(text);
    if (redacted === undefined) {
      redacted = redactCredentials(text);
      // A few long texts are worth keeping; short ones cost next to nothing to scan again.
      if (text.length >= 256 && credentialCache.size < 16) credentialCache.set(text, redacted);
    }
    return redacted;
  };
}

/** `secretScrubber(secrets)` applied to one text. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  return secretScrubber(secrets)(text);
}

/**
 * Applies `scrub` to every text of a result that a receiver, the network or a library could
 * fill: the error, the answer and its headers, and the request as recorded.
 */
export function redactResult(
  result: AttemptResult,
  scrub: (text: string) => string,
): AttemptResult {
  const redacted: AttemptResult = { ...result };
  if ("error" in redacted) redacted.error = scrub(redacted.error);
  if (redacted.outcome === "skipped") redacted.reason = scrub(redacted.reason);
  if (redacted.response !== undefined) redacted.response = scrub(redacted.response);
  if (redacted.responseHeaders !== undefined) {
    redacted.responseHeaders = scrubValues(redacted.responseHeaders, scrub);
  }
  if (redacted.request !== undefined) {
    const { request } = redacted;
    redacted.request = {
      ...request,
      url: scrub(request.url),
      headers: scrubValues(request.headers, scrub),
      ...(request.body === undefined ? {} : { body: scrub(request.body) }),
    };
  }
  return redacted;
}

function scrubValues(
  values: Record<string, string>,
  scrub: (text: string) => string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, scrub(value)]));
}
