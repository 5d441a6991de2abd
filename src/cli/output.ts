/**
 * What the commands print: aligned tables and `name: value` lines for people, JSON for scripts.
 * Everything goes through `Output` so a command never decides between the two itself.
 */

/** A column of a table: its heading and how to read the cell from a row. */
export interface Column<T> {
  heading: string;
  value(row: T): unknown;
  /** Longest cell before it is cut with "…" (errors and descriptions can be long). */
  max?: number;
}

/** Where a command writes; the tests and `main.ts` use the process's streams. */
export interface Output {
  /** `--json` was given: print data, not text. */
  readonly json: boolean;
  line(text?: string): void;
  /** A note for people that is not the command's result (stderr, so JSON stays parseable). */
  note(text: string): void;
  data(value: unknown): void;
}

/** Output to the process's stdout (results) and stderr (notes). */
export function processOutput(json: boolean): Output {
  return {
    json,
    line: (text = "") => process.stdout.write(`${text}\n`),
    note: (text) => process.stderr.write(`${text}\n`),
    data: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** A cell as text: nothing is "-", times lose their milliseconds, long text is cut. */
export function cell(value: unknown, max = 60): string {
  let text: string;
  if (value === null || value === undefined || value === "") text = "-";
  else if (Array.isArray(value)) text = value.length === 0 ? "-" : value.join(",");
  else if (typeof value === "string" && ISO_TIME.test(value)) text = shortTime(value);
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  text = text.replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** `2026-11-23T10:00:00.123Z` → `2026-11-23 10:00:00Z`: one glance, still UTC. */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Rows under aligned headings; "(none)" when there are none. */
export function table<T>(rows: T[], columns: Column<T>[]): string[] {
  if (rows.length === 0) return ["(none)"];
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max)));
  const widths = columns.map((c, i) =>
    Math.max(c.heading.length, ...cells.map((r) => (r[i] as string).length)),
  );
  const format = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [format(columns.map((c) => c.heading)), ...cells.map(format)];
}

/** `name: value` lines, names aligned; fields whose value is undefined are left out. */
export function fields(entries: Array<[string, unknown]>): string[] {
  const shown = entries.filter(([, value]) => value !== undefined);
  const width = Math.max(...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width + 2)}${cell(value, 400)}`);
}

/** A list answer of the API. */
export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}

/** Prints a page: the whole answer as JSON, or a table and how to get the next page. */
export function printPage<T>(out: Output, page: Page<T>, columns: Column<T>[]): void {
  if (out.json) {
    out.data(page);
    return;
  }
  for (const line of table(page.items, columns)) out.line(line);
  if (page.next) out.note(`more: add --cursor ${page.next}`);
}
