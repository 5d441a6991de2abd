import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "./helpers/child-shipcast.js";
import { createTestDatabase, POSTGRES_URL } from "./helpers/databases.js";

describe("starting Shipcast", () => {
  let dir: string | undefined;
  let running: ChildShipcast | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("starts with nothing configured on SQLite at ./data/shipcast.db and says what enables each source", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-start-"));
    running = await spawnShipcast({}, dir);
    expect(existsSync(join(dir, "data", "shipcast.db"))).toBe(true);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const output = running.output();
    expect(output).toContain("set WEBHOOK_SECRET to enable POST /api/github/webhooks");
    expect(output).toContain("set GITLAB_WEBHOOK_SECRET to enable POST /api/gitlab/webhooks");
    expect(output).toContain("set NETLIFY_JWS_SECRET to enable POST /api/netlify/webhooks");
    const res = await fetch(`${running.url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toContain("WEBHOOK_SECRET");
    expect(await running.stop()).toBe(0);
    running = undefined;
  });

  it("lists the active sources and never logs their secrets", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-start-"));
    const secret = "a-very-secret-webhook-value";
    running = await spawnShipcast(
      { WEBHOOK_SECRET: secret, NETLIFY_JWS_SECRET: `${secret}-nf` },
      dir,
    );
    const output = running.output();
    expect(output).toContain("source github: active at POST /api/github/webhooks");
    expect(output).toContain("source netlify: active at POST /api/netlify/webhooks");
    expect(output).not.toContain(secret);
  });

  it("refuses to start on an invalid routing file, naming the file, line and problem", () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-start-"));
    writeFileSync(
      join(dir, "shipcast.yml"),
      "targets:\n  mail: { kind: email, to: [a@example.com] }\nroutes:\n  - notify: [mial]\n",
    );
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const result = spawnSync(process.execPath, ["--import", tsx, main], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", PORT: "0" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "shipcast.yml:2 targets.mail.kind: email targets are off: set SMTP_URL",
    );
    expect(result.stderr).toContain('shipcast.yml:4 routes[0].notify[0]: unknown target "mial"');
  });

  it("refuses to start on an invalid setting, naming it", () => {
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const result = spawnSync(process.execPath, ["--import", tsx, main], {
      env: { PATH: process.env.PATH ?? "", PORT: "http", DATABASE_URL: "mysql://x", APP_ID: "12" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("PORT: expected a port number");
    expect(result.stderr).toContain("DATABASE_URL: expected sqlite:<path> or postgres://");
  });

  it.skipIf(!POSTGRES_URL)(
    "names its PostgreSQL store at start-up without the password",
    async () => {
      const database = await createTestDatabase("postgres");
      try {
        dir = mkdtempSync(join(tmpdir(), "shipcast-start-"));
        running = await spawnShipcast({ DATABASE_URL: database.url }, dir);
        const url = new URL(database.url);
        const output = running.output();
        expect(output).toContain(
          `store: postgres (postgres://${url.username}@${url.host}${url.pathname})`,
        );
        expect(url.password).not.toBe("");
        expect(output).not.toContain(`:${url.password}@`);
        expect(output).not.toContain(`password=${url.password}`);
        expect(await running.stop()).toBe(0);
        running = undefined;
      } finally {
        await database.drop();
      }
    },
  );
});
