import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { BIN, EMPTY_DIR, ROOT, runCli, startCli } from "./cli-process.js";

const program = createProgram({
  version: "0.0.0-test",
  serve: async () => {},
  check: async () => 0,
}).command;

function leaves(command: Command, path: string[] = []): Array<[string, Command]> {
  const here = [...path, command.name()];
  if (command.commands.length === 0) return [[here.join(" "), command]];
  return command.commands.flatMap((sub) => leaves(sub, here));
}

describe("the shipcast command", { timeout: 120_000 }, () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("has every command the issue names, each with a description in its help", () => {
    const names = leaves(program).map(([name]) => name);
    for (const expected of [
      "shipcast serve",
      "shipcast check",
      "shipcast events list",
      "shipcast events show",
      "shipcast events tail",
      "shipcast deliveries list",
      "shipcast deliveries show",
      "shipcast deliveries resend",
      ...["list", "show", "create", "update", "delete", "test", "replay", "enable"].map(
        (name) => `shipcast notifications ${name}`,
      ),
      "shipcast tokens create",
      "shipcast tokens list",
      "shipcast tokens revoke",
      "shipcast send",
      "shipcast rotate-key",
    ]) {
      expect(names).toContain(expected);
    }
    for (const [name, command] of leaves(program)) {
      expect(command.description(), name).not.toBe("");
      expect(command.helpInformation(), name).toContain(`Usage: ${name}`);
    }
  });

  it("gives every API command --url (or --shipcast-url), --token and --json", () => {
    const apiGroups = ["events", "deliveries", "notifications", "tokens"];
    const apiLeaves = leaves(program).filter(([name]) =>
      apiGroups.includes(name.split(" ")[1] ?? ""),
    );
    expect(apiLeaves.length).toBe(17);
    for (const [name, command] of apiLeaves) {
      const flags = command.options.map((option) => option.long);
      expect(flags, name).toContain("--token");
      expect(flags, name).toContain("--json");
      expect(flags.includes("--url") || flags.includes("--shipcast-url"), name).toBe(true);
    }
  });

  it("prints help with exit code 0, at the top and on a subcommand", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: shipcast [options] [command]");
    expect(top.stdout).toContain("rotate-key");
    const create = await runCli(["notifications", "create", "--help"]);
    expect(create.code).toBe(0);
    expect(create.stdout).toContain("--kind <kind>");
    expect(create.stdout).toContain("--data <json>");
    expect(create.stdout).toContain("--shipcast-url <url>");
  });

  it("exits 2 on usage errors: an unknown command, a missing token, an invalid value", async () => {
    const unknown = await runCli(["evnets", "list"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'evnets'");

    const noToken = await runCli(["events", "list"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("required option '--token <token>' not specified");

    const badLimit = await runCli(["events", "list", "--token", "t", "--limit", "0"]);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain("expected a positive whole number");
  });

  it("exits 1 with where it looked when no Shipcast answers", async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await runCli(["events", "list"], {
      env: { SHIPCAST_URL: `http://127.0.0.1:${port}`, SHIPCAST_TOKEN: "some-token" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Shipcast at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain("ECONNREFUSED");
  });

  it("check prints what start-up would and exits 0 on a valid configuration", async () => {
    const result = await runCli(["check"], { env: { WEBHOOK_SECRET: "a-webhook-secret-value" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("source github: active at POST /api/github/webhooks");
    expect(result.stdout).toContain(
      "source gitlab: off (set GITLAB_WEBHOOK_SECRET to enable POST /api/gitlab/webhooks)",
    );
    expect(result.stdout).toContain("routing file: none");
    expect(result.stdout).toContain("check: ok");
    expect(result.stdout + result.stderr).not.toContain("a-webhook-secret-value");
  });

  it("check exits 1 naming every invalid setting, and creates no store", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-check-"));
    const result = await runCli(["check"], {
      cwd: dir,
      env: { PORT: "http", DATABASE_URL: "mysql://x" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PORT: expected a port number");
    expect(result.stderr).toContain("DATABASE_URL: expected sqlite:<path> or postgres://");
    const valid = await runCli(["check"], { cwd: dir });
    expect(valid.code).toBe(0);
    expect(spawnSync("ls", ["-A", dir], { encoding: "utf8" }).stdout).toBe("");
  });

  it("check exits 1 on an invalid routing file with the file, line and problem", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-check-"));
    writeFileSync(
      join(dir, "shipcast.yml"),
      "targets:\n  mail: { kind: email, to: [a@example.com] }\nroutes:\n  - notify: [mial]\n",
    );
    const result = await runCli(["check"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "shipcast.yml:2 targets.mail.kind: email targets are off: set SMTP_URL",
    );
    expect(result.stderr).toContain('shipcast.yml:4 routes[0].notify[0]: unknown target "mial"');
  });

  it("serve starts the server through the bin launcher and stops cleanly on SIGTERM", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-serve-"));
    const server = startCli(["serve"], {
      cwd: dir,
      env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
    });
    await server.waitFor((stdout) => /listening on http:\/\/[^:]+:\d+/.test(stdout));
    const port = /listening on http:\/\/[^:]+:(\d+)/.exec(server.stdout())?.[1];
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("runs as npx shipcast from the checkout", () => {
    // --no: never install anything; the checkout's own bin must be found.
    const result = spawnSync("npm", ["exec", "--no", "--", "shipcast", "--version"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? EMPTY_DIR },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(BIN.endsWith("bin/shipcast.js")).toBe(true);
  });
});
