/** Headers that carry secrets or signatures: stored and shown as `[redacted]`. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-hub-signature",
  "x-hub-signature-256",
  "x-gitlab-token",
  "x-webhook-signature",
  "x-nf-sign",
  "qovery-signature",
  "qovery-secret",
  "webhook-signature",
  "bitrise-hook-signature",
  "x-shipcast-token",
]);

export const REDACTED = "[redacted]";

/**
 * Copy of request headers safe to store and show: secret-bearing values replaced, arrays joined.
 * A verified signature has no further use, and GitLab's token is the secret itself.
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out = flattenHeaders(headers);
  for (const name of Object.keys(out)) if (SECRET_HEADERS.has(name)) out[name] = REDACTED;
  return out;
}

/** Headers as a plain object of lower-case names to single strings (repeated ones joined). */
export function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
