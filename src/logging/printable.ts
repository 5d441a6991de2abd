/**
 * Text from outside (a request header, a receiver's answer) made fit for a log line: control
 * characters replaced, so that it cannot forge a line of its own, and cut to `max` characters.
 */
export function printable(text: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
