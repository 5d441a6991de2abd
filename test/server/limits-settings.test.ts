import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_MAX_PAYLOAD_BYTES, loadConfig } from "../../src/config/env.js";

describe("the limit settings", () => {
  it("default to bounded values, MAX_INFLIGHT_BYTES to four times MAX_PAYLOAD_BYTES", () => {
    expect(loadConfig({}).limits).toEqual({
      maxInflightBytes: 4 * DEFAULT_MAX_PAYLOAD_BYTES,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 1000,
      maxConnectionsPerAddress: 100,
    });
    expect(loadConfig({ MAX_PAYLOAD_BYTES: "1000" }).limits.maxInflightBytes).toBe(4000);
  });

  it("take the values given", () => {
    const limits = loadConfig({
      MAX_PAYLOAD_BYTES: "1000",
      MAX_INFLIGHT_BYTES: "1000",
      HTTP_HEADERS_TIMEOUT_MS: "2000",
      HTTP_REQUEST_TIMEOUT_MS: "2000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "3000",
      HTTP_MAX_CONNECTIONS: "50",
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: "50",
    }).limits;
    expect(limits).toEqual({
      maxInflightBytes: 1000,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 3000,
      maxConnections: 50,
      maxConnectionsPerAddress: 50,
    });
  });

  it.each([
    "MAX_INFLIGHT_BYTES",
    "HTTP_HEADERS_TIMEOUT_MS",
    "HTTP_REQUEST_TIMEOUT_MS",
    "HTTP_KEEP_ALIVE_TIMEOUT_MS",
    "HTTP_MAX_CONNECTIONS",
    "HTTP_MAX_CONNECTIONS_PER_ADDRESS",
  ])("refuse a %s that is not a positive integer, naming it", (name) => {
    for (const value of ["0", "-1", "1.5", "ten"]) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(
        new RegExp(`${name}: expected a positive integer, got "${value}"`),
      );
    }
  });

  it("refuse limits that contradict one another, saying why", () => {
    expect(() => loadConfig({ MAX_PAYLOAD_BYTES: "2000", MAX_INFLIGHT_BYTES: "1999" })).toThrow(
      /MAX_INFLIGHT_BYTES: must be at least MAX_PAYLOAD_BYTES \(2000\)/,
    );
    expect(() =>
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "4000" }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS \(4000\)/);
    expect(() =>
      loadConfig({ HTTP_MAX_CONNECTIONS: "10", HTTP_MAX_CONNECTIONS_PER_ADDRESS: "11" }),
    ).toThrow(/HTTP_MAX_CONNECTIONS_PER_ADDRESS: must not exceed HTTP_MAX_CONNECTIONS \(10\)/);
  });
});
