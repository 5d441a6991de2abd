import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/env.js";
import { createShipcast, type Shipcast } from "../../../src/shipcast.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../../helpers/databases.js";
import { fixtureText } from "../../helpers/payloads.js";
import { startHttpReceiver } from "../../helpers/receivers.js";
import { eventually, SECRETS } from "../../helpers/shipcast.js";
import { netlifySignature } from "../../helpers/signing.js";

/**
 * Two Shipcast processes' worth of wiring on one PostgreSQL database: a notification created
 * through one is used by the other at once, without waiting for its poll.
 */
describe.skipIf(!POSTGRES_URL)("notifications shared by several processes on PostgreSQL", () => {
  let database: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  const running: Shipcast[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    receiver = await startHttpReceiver();
    for (const workers of ["false", "true"]) {
      const config = loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        NETLIFY_JWS_SECRET: SECRETS.netlify,
        SHIPCAST_ADMIN_TOKEN: SECRETS.admin,
        SHIPCAST_WORKERS: workers,
        ALLOW_LOCAL_NETWORK: "true",
      });
      const shipcast = await createShipcast(config, pino({ level: "silent" }), {
        cwd: "/nonexistent-shipcast-cwd",
        env: {},
      });
      const { port } = await shipcast.listen();
      running.push(shipcast);
      urls.push(`http://127.0.0.1:${port}`);
    }
  });

  afterAll(async () => {
    for (const shipcast of running) await shipcast.close();
    await receiver?.close();
    await database?.drop();
  });

  it("routes an event to a notification created through the other process right before", async () => {
    const [api, worker] = urls as [string, string];
    const created = await fetch(`${api}/api/v1/notifications`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "webhook", url: `${receiver.url}/shared` }),
    });
    expect(created.status).toBe(201);
    const body = fixtureText("netlify/deploy_created.deploy-preview.json");
    const res = await fetch(`${worker}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-netlify-event": "deploy_created",
        "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
      },
      body,
    });
    expect(res.status).toBe(202);
    const request = await eventually(() => receiver.to("/shared")[0], 4000);
    expect(request.headers["x-shipcast-event"]).toBe("deploy.succeeded");
  });
});
