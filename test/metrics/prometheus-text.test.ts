import { describe, expect, it } from "vitest";
import { parseExposition, parseStrict, sampleValue } from "../helpers/prometheus-text.js";

const GOOD = `# HELP a_total Things.
# TYPE a_total counter
a_total{kind="x",path="C:\\\\dir \\"q\\""} 3
# HELP d_seconds Durations.
# TYPE d_seconds histogram
d_seconds_bucket{le="0.1",kind="w"} 1
d_seconds_bucket{le="+Inf",kind="w"} 2
d_seconds_sum{kind="w"} 0.5
d_seconds_count{kind="w"} 2
`;

describe("the strict reading of the Prometheus text format the metrics tests use", () => {
  it("reads labels with escapes, and histogram series by their labels", () => {
    const families = parseExposition(GOOD);
    expect(sampleValue(families, "a_total", { kind: "x", path: 'C:\\dir "q"' })).toBe(3);
    expect(sampleValue(families, "d_seconds_count", { kind: "w" })).toBe(2);
  });

  it("reads NaN and Inf in any case, as Prometheus does (prom-client writes Nan)", () => {
    const text = '# TYPE lag gauge\nlag Nan\n# TYPE top gauge\ntop{a="b"} +inf\n';
    const families = parseExposition(text);
    expect(sampleValue(families, "lag")).toBeNaN();
    expect(sampleValue(families, "top", { a: "b" })).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ["a value that is not a number", GOOD.replace("} 3", "} three")],
    ["a sample before its TYPE", `a_total 1\n${GOOD}`],
    ["a sample outside its family", `${GOOD}a_total 4\n`],
    ["an unknown escape", GOOD.replace('\\"q', "\\q")],
    [
      "buckets that are not cumulative",
      GOOD.replace('le="0.1",kind="w"} 1', 'le="0.1",kind="w"} 3'),
    ],
    [
      "a +Inf bucket other than the count",
      GOOD.replace('d_seconds_count{kind="w"} 2', 'd_seconds_count{kind="w"} 5'),
    ],
    ["no final line break", GOOD.trimEnd()],
  ])("refuses %s", (_, text) => {
    expect(() => parseStrict(text)).toThrow();
  });
});
