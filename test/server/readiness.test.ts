import { connect, createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildShipcast, LISTENING, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/databases.js";
import { eventually, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

/** Kysely's PostgreSQL migration lock: an advisory lock that every migrating process takes. */
const KYSELY_MIGRATION_LOCK = "3853314791062309107";

/** The status of GET `url`, or undefined when nothing listens there. */
async function statusOf(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined;
  }
}

/** A TCP relay on loopback to the test PostgreSQL server, which the test can cut and restore. */
async function startRelay() {
  const target = new URL(POSTGRES_URL as string);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
      });
      const listening = server;
      listening.listen(port, "127.0.0.1", () =>
        resolve((listening.address() as { port: number }).port),
      );
    });
  const port = await listen(0);
  return {
    port,
    /** Stops listening and cuts every connection: the store is unreachable. */
    cut: () =>
      new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }),
    restore: () => listen(port),
  };
}

describe("GET /readyz", () => {
  let app: TestShipcast | undefined;
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;
  afterEach(async () => {
    await app?.close();
    await running?.stop();
    await database?.drop();
    app = database = running = undefined;
  });

  it("answers 200 while the store answers, and 503 once it does not; /healthz is not it", async () => {
    app = await startTestShipcast("sqlite");
    expect(await statusOf(`${app.url}/readyz`)).toBe(200);
    expect(await statusOf(`${app.url}/healthz`)).toBe(200);
    await app.shipcast.store.close();
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: "unavailable",
      error: "the store does not answer",
    });
  });

  it.skipIf(!POSTGRES_URL)(
    "answers 503 while PostgreSQL is unreachable, and 200 again once it is back",
    async () => {
      database = await createTestDatabase("postgres");
      const relay = await startRelay();
      const url = new URL(database.url);
      url.host = `127.0.0.1:${relay.port}`;
      app = await startTestShipcast("postgres", { DATABASE_URL: url.toString() });
      expect(await statusOf(`${app.url}/readyz`)).toBe(200);
      await relay.cut();
      expect(await statusOf(`${app.url}/readyz`)).toBe(503);
      await relay.restore();
      await eventually(async () =>
        (await statusOf(`${app?.url}/readyz`)) === 200 ? true : undefined,
      );
    },
  );

  it.skipIf(!POSTGRES_URL)(
    "answers 503 while the migrations wait, with /healthz alive and webhooks told to retry",
    async () => {
      database = await createTestDatabase("postgres");
      // Another process migrating: hold the lock the migrations wait for.
      const holder = new pg.Client({ connectionString: POSTGRES_URL });
      await holder.connect();
      try {
        await holder.query(`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK})`);
        running = await spawnShipcast(
          { DATABASE_URL: database.url, WEBHOOK_SECRET: "a-secret-of-this-test" },
          undefined,
          /starting on http:\/\/[^:]+:(\d+)/,
        );
        const url = running.url;
        const ready = await fetch(`${url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ status: "starting" });
        const health = await fetch(`${url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: "starting" });
        const webhook = await fetch(`${url}/api/github/webhooks`, { method: "POST", body: "{}" });
        expect(webhook.status).toBe(503);
        expect(webhook.headers.get("retry-after")).toBe("5");
        expect(running.output()).not.toMatch(LISTENING);
      } finally {
        await holder.query(`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK})`);
        await holder.end();
      }
      await eventually(() => (LISTENING.test(running?.output() ?? "") ? true : undefined), 20_000);
      // The same port, now the real server.
      expect(await statusOf(`${running.url}/readyz`)).toBe(200);
    },
  );
});
