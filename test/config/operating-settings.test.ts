import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/env.js";

describe("the logging and metrics settings", () => {
  it("read LOG_FORMAT as pretty or json, in any case, and leave it to the terminal when unset", () => {
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(loadConfig({ LOG_FORMAT: " JSON " }).logFormat).toBe("json");
  });

  it("refuse a LOG_FORMAT they do not know, naming it", () => {
    expect(() => loadConfig({ LOG_FORMAT: "text" })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: "text" })).toThrow(
      'LOG_FORMAT: expected pretty or json, got "text"',
    );
  });

  it("turn the metrics on with a METRICS_TOKEN of at least 16 characters", () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: " " }).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).metricsToken).toBe("0123456789abcdef");
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(
      "METRICS_TOKEN: must be at least 16 characters",
    );
  });
});
