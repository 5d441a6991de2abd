/**
 * How the benchmarks print: progress lines, figures (a label and a value, aligned), ratios
 * against an aim, and Markdown tables for the README. Results go to stdout; children's output
 * goes to stderr (see processes.ts), so the figures can be piped on their own.
 */
import os from "node:os";

/** A step of the run, so a long wait is never silent. */
export function progress(message: string): void {
  console.log(`· ${message}`);
}

/** A whole number with thousands separators: `12,345`. */
export const int = (n: number) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
/** Milliseconds with `digits` decimals. */
export const ms = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
/** Seconds, from milliseconds. */
export const sec = (milliseconds: number, digits = 1) =>
  Number.isFinite(milliseconds) ? (milliseconds / 1000).toFixed(digits) : "n/a";
/** A ratio: `0.52×`. */
export const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");
/** Megabytes, from bytes. */
export const mb = (bytes: number) =>
  Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(0)} MB` : "n/a";
/** `failed 2, succeeded 98`: a tally, keys in order, or `none`. */
export const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${int(n)}`)
    .join(", ") || "none";

/** One figure a line: `  label        value`, labels padded to one column. */
export type Figure = readonly [label: string, value: string];

/** Prints a heading (when given) and its figures, skipping rows whose value is empty. */
export function printFigures(heading: string | undefined, figures: Figure[], indent = 2): void {
  if (heading !== undefined) console.log(heading);
  const shown = figures.filter(([, value]) => value !== "");
  const width = Math.max(20, ...shown.map(([label]) => label.length + 1));
  for (const [label, value] of shown) {
    console.log(`${" ".repeat(indent)}${label.padEnd(width)} ${value}`);
  }
}

/** `0.52×   aim ≥ 0.5×: met` — the comparison with an aim, for information. */
export function againstAim(value: number, aim: number, what = ""): string {
  const verdict = value >= aim ? "met" : "NOT met";
  return `${ratio(value)}   aim ≥ ${aim}×${what === "" ? "" : ` ${what}`}: ${verdict}`;
}

/** A Markdown table; `right[i]` right-aligns column `i` (numbers). */
export function markdownTable(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells
      .map((cell, i) => {
        const width = widths[i] ?? cell.length;
        return right[i] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")} |`;
  const rule = widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w)));
  return [line(header), `|${rule.map((r) => ` ${r} `).join("|")}|`, ...rows.map(line)];
}

/** `node v20…, linux x64, 2 CPU(s) (model)`: what the figures were measured on. */
export function machine(): string {
  const cpus = os.cpus();
  return `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? "unknown"})`;
}

/** `node v20…, 2 CPU(s)`: the short form, for a table's caption. */
export function briefMachine(): string {
  return `node ${process.version}, ${os.cpus().length} CPU(s)`;
}

/** Share of all CPUs' time spent busy (by anything) during the next `durationMs`. */
export async function machineBusy(durationMs: number): Promise<number> {
  const sample = () => {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      busy += times.user + times.nice + times.sys + times.irq;
      total += times.user + times.nice + times.sys + times.irq + times.idle;
    }
    return { busy, total };
  };
  const before = sample();
  await new Promise((r) => setTimeout(r, durationMs));
  const after = sample();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/**
 * The opening of a benchmark's report: its title, the machine, the settings, and how busy the
 * CPUs were just before (other work on a shared machine skews every figure).
 */
export async function printPreamble(title: string, settings: string[]): Promise<void> {
  console.log(title);
  console.log(`  ${machine()}`);
  for (const line of settings) console.log(`  ${line}`);
  const busy = await machineBusy(1000);
  console.log(
    `  CPUs busy before the run: ${(busy * 100).toFixed(0)}% over 1 s (other work on the machine skews every figure)`,
  );
}
