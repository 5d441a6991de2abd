declare module "parse-prometheus-text-format" {
  /** One sample: its labels, its value as written; histograms carry buckets, count and sum. */
  export interface PrometheusSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  }
  /** Parses the Prometheus text format; throws on text that does not follow it. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
