/**
 * The benchmarks' settings: each from a command-line flag (`--events=1000` or `--events 1000`),
 * else from its environment variable (`CHAOS_EVENTS=1000`), else its default. A value that does
 * not parse stops the run with the setting's name, never silently falls back.
 */

/** The raw text of `--<flag>` on the command line, or of `env`, or undefined. */
function raw(env: string, flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    const args = process.argv.slice(2);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? "";
      if (arg === `--${flag}`) {
        const next = args[i + 1];
        // A bare flag (`--large`) is `true`; a following flag is not its value.
        return next === undefined || next.startsWith("--") ? "true" : next;
      }
      if (arg.startsWith(`--${flag}=`)) return arg.slice(flag.length + 3);
    }
  }
  const value = process.env[env];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function where(env: string, flag: string | undefined): string {
  return flag === undefined ? env : `--${flag} / ${env}`;
}

/** A positive number (a whole one unless `fraction`), e.g. a count, seconds or a size. */
export function numberSetting(
  env: string,
  fallback: number,
  options: { flag?: string; fraction?: boolean } = {},
): number {
  const text = raw(env, options.flag);
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  const valid = options.fraction ? Number.isFinite(value) : Number.isSafeInteger(value);
  if (!valid || value <= 0) {
    const what = options.fraction ? "a positive number" : "a positive whole number";
    throw new Error(`${where(env, options.flag)} must be ${what}, got "${text}"`);
  }
  return value;
}

/** On or off: `1`, `true`, `yes`, `on` / `0`, `false`, `no`, `off`. */
export function booleanSetting(env: string, fallback: boolean, options: { flag?: string } = {}) {
  const text = raw(env, options.flag);
  if (text === undefined) return fallback;
  const normalized = text.toLowerCase();
  if (["1", "true", "yes", "on"].includes(normalized)) return true;
  if (["0", "false", "no", "off"].includes(normalized)) return false;
  throw new Error(`${where(env, options.flag)} must be true or false, got "${text}"`);
}

/** A free text, e.g. a folder; undefined when not given. */
export function textSetting(env: string, options: { flag?: string } = {}): string | undefined {
  return raw(env, options.flag);
}

/** A comma-separated choice among `known`, e.g. the parts of a benchmark to run. */
export function listSetting<T extends string>(
  env: string,
  known: readonly T[],
  fallback: readonly T[],
  options: { flag?: string } = {},
): T[] {
  const text = raw(env, options.flag);
  if (text === undefined) return [...fallback];
  const chosen = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  const unknown = chosen.filter((item) => !known.includes(item as T));
  if (unknown.length > 0 || chosen.length === 0) {
    throw new Error(
      `${where(env, options.flag)}: unknown "${unknown.join(", ")}" (known: ${known.join(", ")})`,
    );
  }
  return chosen as T[];
}
