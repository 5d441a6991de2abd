import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config/env.js";
import { createShipcast, type Shipcast } from "../../src/shipcast.js";
import type { Engine } from "../../src/store/database.js";
import { createTestDatabase } from "./databases.js";

export const SECRETS = {
  github: "gh-test-secret-0123456789",
  gitlab: "gl-test-token-0123456789",
  netlify: "nf-test-jws-secret-0123456789",
  admin: "admin-test-token-0123456789abcdef",
} as const;

export interface TestShipcast {
  shipcast: Shipcast;
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  close(): Promise<void>;
}

/**
 * A real Shipcast in this process, on an ephemeral loopback port and a fresh database of the
 * engine, with every source and the API enabled and local networks allowed (test receivers are
 * on loopback) unless `env` says otherwise.
 */
export async function startTestShipcast(
  engine: Engine,
  env: Record<string, string | undefined> = {},
  options: { routing?: string } = {},
): Promise<TestShipcast> {
  const database = await createTestDatabase(engine);
  // A working directory of its own, so no shipcast.yml of the repository is picked up.
  const cwd = mkdtempSync(join(tmpdir(), "shipcast-cwd-"));
  if (options.routing !== undefined) writeFileSync(join(cwd, "shipcast.yml"), options.routing);
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: database.url,
    WEBHOOK_SECRET: SECRETS.github,
    GITLAB_WEBHOOK_SECRET: SECRETS.gitlab,
    NETLIFY_JWS_SECRET: SECRETS.netlify,
    SHIPCAST_ADMIN_TOKEN: SECRETS.admin,
    // Test receivers listen on 127.0.0.1, which the network guard blocks unless told otherwise.
    ALLOW_LOCAL_NETWORK: "true",
    ...env,
  });
  const shipcast = await createShipcast(config, pino({ level: "silent" }), {
    cwd,
    env: { ...process.env, ...env },
  });
  const address = await shipcast.listen();
  return {
    shipcast,
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      await shipcast.close();
      await database.drop();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
