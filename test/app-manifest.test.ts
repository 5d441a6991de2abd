import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Manifest {
  name: string;
  url: string;
  description: string;
  default_events: string[];
  default_permissions: Record<string, string>;
}

describe("app.yml, the GitHub App manifest", () => {
  const manifest = parse(readFileSync(`${ROOT}/app.yml`, "utf8")) as Manifest;

  it("subscribes to deployments, deployment statuses and pull requests", () => {
    expect(manifest.name).toBe("Shipcast");
    expect(manifest.url).toMatch(/^https:\/\//);
    expect(manifest.description.length).toBeGreaterThan(20);
    expect(manifest.default_events).toEqual(
      expect.arrayContaining(["deployment", "deployment_status", "pull_request"]),
    );
  });

  it("asks for the permissions the outputs need", () => {
    expect(manifest.default_permissions).toMatchObject({
      statuses: "write",
      pull_requests: "write",
      issues: "write",
      deployments: "read",
      contents: "read",
      metadata: "read",
    });
  });
});
