import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { beforeEach, describe, expect, it } from "vitest";
import { createShipcastApp } from "../src/app.js";
import { githubExamplesOf } from "./helpers/payloads.js";
import { useStrictNock } from "./helpers/strict-nock.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** GitHub's own example of `event` with `action`. */
function example(event: string, action: string): Record<string, unknown> {
  const payload = githubExamplesOf(event).find((p) => p.action === action);
  if (payload === undefined) throw new Error(`no ${event}.${action} example`);
  return payload;
}

describe("the Probot app", () => {
  // No GitHub mocks at all: any request the app made would be reported unmatched.
  useStrictNock();

  let probot: Probot;
  let logged: { level: number; msg: string }[];

  beforeEach(async () => {
    logged = [];
    probot = new Probot({
      appId: 1,
      privateKey,
      secret: "test",
      log: pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line)) }),
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    });
    await probot.load(createShipcastApp());
  });

  function receive(name: string, payload: Record<string, unknown>): Promise<void> {
    return probot.receive({ id: `delivery-${name}`, name, payload } as Parameters<
      Probot["receive"]
    >[0]);
  }

  const messages = () => logged.map((line) => line.msg);

  it("logs an installation, naming the account and its repository selection", async () => {
    await receive("installation", example("installation", "created"));
    expect(messages()).toContain("Shipcast was installed on Codertocat (selected repositories)");
  });

  it("logs an uninstallation, naming the account", async () => {
    await receive("installation", example("installation", "deleted"));
    expect(messages()).toContain("Shipcast was uninstalled from octocat");
  });

  it("leaves a closed pull request to the outbox: it calls GitHub for nothing", async () => {
    // The github-comment output closes the comment through its delivery (change.closed).
    await receive("pull_request", example("pull_request", "closed"));
    expect(messages().filter((message) => message.startsWith("Shipcast"))).toEqual([]);
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });
});
