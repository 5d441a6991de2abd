import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { countDeliveriesByStatus } from "../../src/store/deliveries-repository.js";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { fixtureText } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";

const EVENTS = 24;
const fixture = JSON.parse(fixtureText("netlify/deploy_created.deploy-preview.json")) as Record<
  string,
  unknown
>;

describe.each(ENGINES)("deliveries through a crash on %s", (engine) => {
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await running?.kill();
    running = undefined;
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("delivers everything after a SIGKILL with deliveries in flight; duplicates are re-sends of one delivery id", async () => {
    const receiver = await startHttpReceiver();
    // Slow answers keep deliveries in flight when the process dies.
    receiver.on("/hook", (_req, res) => {
      setTimeout(() => res.end("ok"), 150);
    });
    try {
      database = await createTestDatabase(engine);
      dir = mkdtempSync(join(tmpdir(), "shipcast-crash-"));
      const routing = join(dir, "shipcast.yml");
      writeFileSync(
        routing,
        `targets:\n  hook: { kind: webhook, url: "${receiver.url}/hook" }\nroutes:\n  - notify: [hook]\n`,
      );
      const env = {
        DATABASE_URL: database.url,
        NETLIFY_JWS_SECRET: SECRETS.netlify,
        SHIPCAST_CONFIG: routing,
        DELIVERY_CONCURRENCY: "4",
        DELIVERY_TIMEOUT_MS: "1000",
        DELIVERY_RETRY_SCHEDULE: "100ms,100ms,100ms,100ms,100ms",
      };
      running = await spawnShipcast(env);
      const first = running;
      for (let i = 0; i < EVENTS; i++) {
        // One site per event: distinct subjects, so deliveries run in parallel.
        const body = JSON.stringify({ ...fixture, id: `deploy-${i}`, name: `site-${i}` });
        const res = await fetch(`${first.url}/api/netlify/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-netlify-event": "deploy_created",
            "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
          },
          body,
        });
        expect(res.status).toBe(202);
      }
      await eventually(() => (receiver.requests.length >= 6 ? true : undefined));
      await first.kill(); // four deliveries are in flight right now
      const before = new Set(receiver.requests.map((r) => r.headers["x-shipcast-delivery"]));
      expect(before.size).toBeLessThan(EVENTS);

      running = await spawnShipcast(env);
      const store = await openStore(database.location);
      try {
        const counts = await eventually(async () => {
          const c = await countDeliveriesByStatus(store.db);
          return c.succeeded === EVENTS ? c : undefined;
        }, 20_000);
        expect(counts).toMatchObject({ pending: 0, failed: 0, succeeded: EVENTS });
        const ids = await store.db.selectFrom("deliveries").select("id").execute();
        const known = new Set(ids.map((row) => row.id));
        const received = receiver.requests.map((r) => r.headers["x-shipcast-delivery"] as string);
        // Every delivery arrived…
        expect(new Set(received)).toEqual(known);
        // …and anything received twice is the same delivery sent again, never a new one.
        expect(received.every((id) => known.has(id))).toBe(true);
        expect(received.length).toBeGreaterThanOrEqual(EVENTS);
      } finally {
        await store.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
