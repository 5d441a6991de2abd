import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One sample line: its full name (`x_bucket`), labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A float as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`). */
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[nN][aA][nN]|[+-]?[iI][nN][fF])$/;

/**
 * A strict reading of the Prometheus text exposition format 0.0.4: every line must follow the
 * grammar (names, label escaping, values), a family's TYPE comes before its samples, which are
 * contiguous and carry the suffixes of their type, and each histogram's buckets are cumulative
 * with `+Inf` equal to `_count`. Throws naming the line otherwise.
 *
 * Cross-checked with `parse-prometheus-text-format` (see `parseExposition`), which is lenient and
 * reads only histograms without labels, so the two together cover what neither does alone.
 */
export function parseStrict(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line break");
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${line})`;
    if (line === "") return;
    const comment = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (comment) {
      const [, keyword, name = "", rest = ""] = comment;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name at ${where}`);
      if (closed.has(name)) throw new Error(`family ${name} appears twice, at ${where}`);
      let family = families.get(name);
      if (!family) {
        if (current) closed.add(current.name);
        family = { name, help: "", type: "untyped", samples: [] };
        families.set(name, family);
        current = family;
      }
      if (family.samples.length > 0) throw new Error(`${keyword} after samples at ${where}`);
      if (keyword === "HELP") family.help = unescapeText(rest, false, where);
      else {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) {
          throw new Error(`bad type at ${where}`);
        }
        family.type = rest as Family["type"];
      }
      return;
    }
    if (line.startsWith("#")) return;
    const sample = parseSample(line, where);
    const family = current && familyOf(current, sample.name) ? current : undefined;
    if (!family) throw new Error(`sample outside its family (or before its TYPE) at ${where}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

function familyOf(family: Family, sampleName: string): boolean {
  const suffixes =
    family.type === "histogram"
      ? ["_bucket", "_sum", "_count"]
      : family.type === "summary"
        ? ["", "_sum", "_count"]
        : [""];
  return suffixes.some((suffix) => sampleName === `${family.name}${suffix}`);
}

function parseSample(line: string, where: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error(`bad sample at ${where}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    for (;;) {
      if (rest.startsWith("}")) break;
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest);
      if (!label?.[1] || !LABEL_NAME.test(label[1])) throw new Error(`bad label at ${where}`);
      rest = rest.slice(label[0].length);
      let raw = "";
      for (;;) {
        const ch = rest[0];
        if (ch === undefined) throw new Error(`unterminated label value at ${where}`);
        if (ch === '"') break;
        if (ch === "\\") {
          raw += rest.slice(0, 2);
          rest = rest.slice(2);
        } else {
          raw += ch;
          rest = rest.slice(1);
        }
      }
      rest = rest.slice(1);
      if (label[1] in labels) throw new Error(`label ${label[1]} twice at ${where}`);
      labels[label[1]] = unescapeText(raw, true, where);
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw new Error(`bad label list at ${where}`);
    }
    rest = rest.slice(1);
  }
  const parts = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (!parts?.[1] || !VALUE.test(parts[1])) throw new Error(`bad value at ${where}`);
  return { name, labels, value: toFloat(parts[1]) };
}

/** A sample value as a number: NaN and ±Inf in any case. */
function toFloat(text: string): number {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower.endsWith("inf")) {
    return lower.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return Number(text);
}

function unescapeText(text: string, quotes: boolean, where: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => {
    if (ch === "\\") return "\\";
    if (ch === "n") return "\n";
    if (ch === '"' && quotes) return '"';
    throw new Error(`bad escape \\${ch} at ${where}`);
  });
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      entry.buckets.push([le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), sample.value]);
    } else if (sample.name.endsWith("_count")) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, value], i) => {
      if (i > 0 && value < (sorted[i - 1]?.[1] ?? 0)) {
        throw new Error(`${family.name}${key}: buckets are not cumulative`);
      }
    });
    const inf = sorted.at(-1);
    if (inf?.[0] !== Number.POSITIVE_INFINITY || inf[1] !== count) {
      throw new Error(`${family.name}${key}: the +Inf bucket must equal _count`);
    }
  }
}

/**
 * `/metrics` read strictly, and read again by `parse-prometheus-text-format`: every counter and
 * gauge sample must be read alike by both.
 */
export function parseExposition(text: string): Map<string, Family> {
  const strict = parseStrict(text);
  const lenient = parsePrometheusTextFormat(text);
  for (const family of lenient) {
    const mine = strict.get(family.name);
    if (!mine || mine.type.toUpperCase() !== family.type) {
      throw new Error(`the parsers disagree on the family ${family.name}`);
    }
    if (family.type !== "COUNTER" && family.type !== "GAUGE") continue;
    for (const sample of family.metrics) {
      const labels = sample.labels ?? {};
      if (!Object.is(sampleValue(strict, family.name, labels), toFloat(sample.value ?? ""))) {
        throw new Error(`the parsers disagree on ${family.name}${JSON.stringify(labels)}`);
      }
    }
  }
  return strict;
}

/**
 * The value of the sample of `name` (a family or a histogram's `_count`/`_sum`) whose labels are
 * exactly `labels`; undefined when there is none.
 */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const familyName = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(name) ?? families.get(familyName);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return family?.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  )?.value;
}
