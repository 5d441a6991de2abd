import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_MAX_PAYLOAD_BYTES,
  describeStoreLocation,
  loadConfig,
} from "../../src/config/env.js";

const KEY = "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n";

describe("loadConfig", () => {
  it("defaults to port 3000, SQLite at ./data/shipcast.db, 25 MB bodies, every source off", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ engine: "sqlite", path: "./data/shipcast.db" });
    expect(config.maxPayloadBytes).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
    expect(config.sources.github.secret).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.githubApp).toBeUndefined();
    expect(config.workers).toBe(true);
    expect(config.github.apiBaseUrl).toBe("https://api.github.com");
    expect(config.gitlab.url).toBe("https://gitlab.com");
  });

  it("treats an empty secret as unset rather than as the empty secret", () => {
    expect(loadConfig({ WEBHOOK_SECRET: "" }).sources.github.secret).toBeUndefined();
  });

  it("enables the GitHub App with APP_ID and a PEM key, unescaping \\n", () => {
    const config = loadConfig({ APP_ID: "42", PRIVATE_KEY: KEY });
    expect(config.githubApp?.appId).toBe("42");
    expect(config.githubApp?.privateKey).toContain("\n-----END PRIVATE KEY-----");
  });

  it("derives the GitHub Enterprise API URL from GHE_HOST and GHE_PROTOCOL", () => {
    const config = loadConfig({ GHE_HOST: "ghe.local:8443", GHE_PROTOCOL: "http" });
    expect(config.github.apiBaseUrl).toBe("http://ghe.local:8443/api/v3");
  });

  it.each([
    [{ PORT: "70000" }, "PORT"],
    [{ MAX_PAYLOAD_BYTES: "-1" }, "MAX_PAYLOAD_BYTES"],
    [{ DATABASE_URL: "mysql://localhost" }, "DATABASE_URL"],
    [{ DATABASE_URL: "sqlite:" }, "DATABASE_URL"],
    [{ SHIPCAST_ADMIN_TOKEN: "short" }, "SHIPCAST_ADMIN_TOKEN"],
    [{ SHIPCAST_WORKERS: "maybe" }, "SHIPCAST_WORKERS"],
    [{ WEBHOOK_PROXY_URL: "smee.io/x" }, "WEBHOOK_PROXY_URL"],
    [{ GITLAB_URL: "ftp://gitlab" }, "GITLAB_URL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ APP_ID: "1" }, "PRIVATE_KEY"],
    [{ PRIVATE_KEY: KEY }, "APP_ID"],
    [{ APP_ID: "1", PRIVATE_KEY: "not a key" }, "PRIVATE_KEY"],
    [{ APP_ID: "1", PRIVATE_KEY_PATH: "/nonexistent/key.pem" }, "PRIVATE_KEY_PATH"],
  ])("rejects %o naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it("lists every invalid variable at once", () => {
    try {
      loadConfig({ PORT: "x", MAX_PAYLOAD_BYTES: "y" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT:[\s\S]*MAX_PAYLOAD_BYTES:/);
    }
  });
});

describe("DATABASE_URL", () => {
  it.each([
    [
      "sqlite:/var/lib/shipcast/shipcast.db",
      { engine: "sqlite", path: "/var/lib/shipcast/shipcast.db" },
    ],
    ["sqlite::memory:", { engine: "sqlite", path: ":memory:" }],
    [
      "postgres://shipcast:pw@db:5432/shipcast",
      { engine: "postgres", url: "postgres://shipcast:pw@db:5432/shipcast" },
    ],
    ["postgresql://db/shipcast", { engine: "postgres", url: "postgresql://db/shipcast" }],
  ])("reads %s as the store's location", (value, location) => {
    expect(loadConfig({ DATABASE_URL: value }).database).toEqual(location);
  });

  it("describes a PostgreSQL store without its password, in the URL or in its parameters", () => {
    const { database } = loadConfig({
      DATABASE_URL: "postgres://shipcast:s3cret-pw@db.internal:5432/shipcast?password=s3cret-pw",
    });
    const described = describeStoreLocation(database);
    expect(described).toBe("postgres (postgres://shipcast@db.internal:5432/shipcast)");
    expect(described).not.toContain("s3cret-pw");
  });

  it("describes a SQLite store by its path", () => {
    expect(describeStoreLocation(loadConfig({}).database)).toBe("sqlite (./data/shipcast.db)");
  });
});
