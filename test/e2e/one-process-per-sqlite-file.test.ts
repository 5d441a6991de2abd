import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/cli-process.js";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/databases.js";

const KEY = Buffer.alloc(32, 1).toString("base64");
const OTHER_KEY = Buffer.alloc(32, 2).toString("base64");

describe("one Shipcast process per SQLite file", { timeout: 120_000 }, () => {
  let database: TestDatabase | undefined;
  const running: ChildShipcast[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) await child.stop();
    await database?.drop();
    database = undefined;
  });

  it("refuses a second server on the file, naming the file and the process that holds it", async () => {
    database = await createTestDatabase("sqlite");
    const path = (database.location as { path: string }).path;
    const first = await spawnShipcast({ DATABASE_URL: database.url });
    running.push(first);

    const second = spawnShipcast({ DATABASE_URL: database.url });
    await expect(second).rejects.toThrow(/exited with 1 before listening/);
    const message = await second.catch((error: Error) => error.message);
    expect(message).toContain(`the SQLite file ${path} is in use by shipcast serve`);
    expect(message).toContain(`(pid ${first.child.pid} on ${hostname()}, started `);
    // The first one never noticed.
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
  });

  it("starts at once after the holder was killed with SIGKILL", async () => {
    database = await createTestDatabase("sqlite");
    const first = await spawnShipcast({ DATABASE_URL: database.url });
    await first.kill();
    const second = await spawnShipcast({ DATABASE_URL: database.url });
    running.push(second);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    // And it holds the file in turn.
    await expect(spawnShipcast({ DATABASE_URL: database.url })).rejects.toThrow(
      `(pid ${second.child.pid} on ${hostname()}`,
    );
  });

  it("makes rotate-key refuse while a server holds the file, saying to stop it first", async () => {
    database = await createTestDatabase("sqlite");
    const path = (database.location as { path: string }).path;
    const server = await spawnShipcast({
      DATABASE_URL: database.url,
      SHIPCAST_ENCRYPTION_KEY: KEY,
    });
    running.push(server);
    const refused = await runCli(["rotate-key", "--from", KEY, "--to", OTHER_KEY], {
      env: { DATABASE_URL: database.url },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `nothing was changed: the SQLite file ${path} is in use by shipcast serve (pid ${server.child.pid}`,
    );
    expect(refused.stderr).toContain("rotate-key runs offline: stop Shipcast first");

    await running.pop()?.stop();
    const rotated = await runCli(["rotate-key", "--from", KEY, "--to", OTHER_KEY], {
      env: { DATABASE_URL: database.url },
    });
    expect(rotated.code, rotated.stderr).toBe(0);
  });

  it.skipIf(!POSTGRES_URL)("lets several processes share one PostgreSQL database", async () => {
    database = await createTestDatabase("postgres");
    running.push(await spawnShipcast({ DATABASE_URL: database.url }));
    running.push(await spawnShipcast({ DATABASE_URL: database.url }));
    for (const child of running) expect((await fetch(`${child.url}/readyz`)).status).toBe(200);
  });
});
