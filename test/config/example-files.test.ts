import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envSchema, loadConfig } from "../../src/config/env.js";
import { parseRoutingConfig } from "../../src/config/routing-file.js";
import { createOutboundHttp } from "../../src/outbound/http-client.js";
import { createRegistry } from "../../src/shipcast.js";

const root = new URL("../../", import.meta.url);

describe("the example files in the repository", () => {
  it(".env.example lists every environment variable Shipcast reads, with a comment", () => {
    const text = readFileSync(new URL(".env.example", root), "utf8");
    for (const name of Object.keys(envSchema.shape)) {
      const line = new RegExp(`^#? ?${name}=`, "m");
      expect(text, `${name} is missing from .env.example`).toMatch(line);
    }
  });

  it("shipcast.example.yml is a valid routing file for the real outputs", () => {
    const text = readFileSync(new URL("shipcast.example.yml", root), "utf8");
    const config = loadConfig({ SMTP_URL: "smtp://127.0.0.1:2525" });
    const { registry, close } = createRegistry(config, { http: createOutboundHttp() });
    try {
      const routing = parseRoutingConfig(
        text,
        "shipcast.example.yml",
        { SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/X" },
        registry,
      );
      expect([...routing.targets.keys()]).toEqual(["ops-slack", "release-mail"]);
      expect(routing.routes).toHaveLength(2);
      expect(routing.alerts).toEqual(["ops-slack"]);
      expect(routing.repositoryTargets).toEqual(["ops-slack"]);
    } finally {
      close();
    }
  });

  it("refuses an email target without SMTP_URL at start-up, saying what to set", () => {
    const text = readFileSync(new URL("shipcast.example.yml", root), "utf8");
    const { registry } = createRegistry(loadConfig({}), { http: createOutboundHttp() });
    expect(() =>
      parseRoutingConfig(
        text,
        "shipcast.yml",
        { SLACK_WEBHOOK_URL: "https://h.example/x" },
        registry,
      ),
    ).toThrow(/shipcast\.yml:\d+ targets\.release-mail\.kind: email targets are off: set SMTP_URL/);
  });
});
