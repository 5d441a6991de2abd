import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/config/env.js";
import { openStore } from "../../src/store/database.js";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { githubSignature } from "../helpers/signing.js";
import { runCli } from "./cli-process.js";

const ADMIN_TOKEN = "cli-admin-token-0123456789";
const HOOK_SECRET = "a-secret-that-must-survive-the-rotation";
const OLD_KEY = Buffer.alloc(32, 1).toString("base64");
const NEW_KEY = Buffer.alloc(32, 2).toString("hex");
const WRONG_KEY = Buffer.alloc(32, 3).toString("base64");

async function storedEnvelope(url: string): Promise<string | null | undefined> {
  const location = parseDatabaseUrl(url);
  if (!location) throw new Error(`not a DATABASE_URL: ${url}`);
  const store = await openStore(location);
  try {
    const row = await store.db.selectFrom("notifications").select("secrets").executeTakeFirst();
    return row?.secrets;
  } finally {
    await store.close();
  }
}

describe.each(ENGINES)("shipcast rotate-key on %s", { timeout: 180_000 }, (engine) => {
  let dir: string | undefined;
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>> | undefined;
  afterEach(async () => {
    await running?.stop();
    await receiver?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    running = receiver = database = dir = undefined;
  });

  it("re-encrypts the secrets so the server starts with the new key only, and they still sign", async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-cli-rotate-"));
    database = await createTestDatabase(engine);
    receiver = await startHttpReceiver();
    const env = { DATABASE_URL: database.url, SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN };
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${running?.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      });

    running = await spawnShipcast({ ...env, SHIPCAST_ENCRYPTION_KEY: OLD_KEY }, dir);
    const created = await api("/api/v1/notifications", {
      method: "POST",
      body: JSON.stringify({ kind: "webhook", url: `${receiver.url}/hook`, secret: HOOK_SECRET }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await running.stop();
    running = undefined;
    const before = await storedEnvelope(database.url);

    const refused = await runCli(["rotate-key", "--from", WRONG_KEY, "--to", NEW_KEY], {
      env: { DATABASE_URL: database.url },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`shipcast: nothing was changed: notification ${id}`);
    expect(await storedEnvelope(database.url)).toBe(before);

    const rotated = await runCli(["rotate-key", "--from", OLD_KEY, "--to", NEW_KEY], {
      env: { DATABASE_URL: database.url },
    });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("re-encrypted the secrets of 1 notification(s)");
    expect(await storedEnvelope(database.url)).not.toBe(before);

    await expect(spawnShipcast({ ...env, SHIPCAST_ENCRYPTION_KEY: OLD_KEY }, dir)).rejects.toThrow(
      /exited with 1 before listening[\s\S]*stored with another SHIPCAST_ENCRYPTION_KEY/,
    );

    running = await spawnShipcast({ ...env, SHIPCAST_ENCRYPTION_KEY: NEW_KEY }, dir);
    const tested = await api(`/api/v1/notifications/${id}/test`, { method: "POST" });
    expect(((await tested.json()) as { outcome: string }).outcome).toBe("succeeded");
    const [request] = receiver.to("/hook");
    expect(request?.headers["x-hub-signature-256"]).toBe(
      githubSignature(HOOK_SECRET, request?.body ?? ""),
    );
  });
});

describe("shipcast rotate-key arguments", { timeout: 120_000 }, () => {
  it("exits 2 on a key that is not 32 bytes or on the same key twice, 1 without a database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipcast-cli-rotate-"));
    try {
      const env = { env: { DATABASE_URL: `sqlite:${join(dir, "missing.db")}` } };
      const [short, same, missing] = await Promise.all([
        runCli(["rotate-key", "--from", "c2hvcnQ=", "--to", NEW_KEY], env),
        runCli(["rotate-key", "--from", OLD_KEY, "--to", OLD_KEY], env),
        runCli(["rotate-key", "--from", OLD_KEY, "--to", NEW_KEY], env),
      ]);
      expect(short.code).toBe(2);
      expect(short.stderr).toContain("expected 32 bytes as base64 or hex");
      expect(same.code).toBe(2);
      expect(same.stderr).toContain("--from and --to are the same key");
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`no SQLite database at ${join(dir, "missing.db")}`);
      // Refusing did not create the file either.
      expect(existsSync(join(dir, "missing.db"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
