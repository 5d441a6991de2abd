import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/env.js";
import { createShipcast } from "../../../src/shipcast.js";
import { createTestDatabase, ENGINES } from "../../helpers/databases.js";
import { SECRETS } from "../../helpers/shipcast.js";

const KEY_A = Buffer.alloc(32, 11).toString("base64");
const KEY_B = Buffer.alloc(32, 12).toString("base64");
const TOKEN = "qovery-startup-secret-0123456789";

describe.each(ENGINES)("start-up with stored sources on %s", (engine) => {
  it("serves a source after a restart with its key, and refuses to start without it or with another", async () => {
    const database = await createTestDatabase(engine);
    const start = (key?: string) =>
      createShipcast(
        loadConfig({
          PORT: "0",
          HOST: "127.0.0.1",
          DATABASE_URL: database.url,
          SHIPCAST_ADMIN_TOKEN: SECRETS.admin,
          SHIPCAST_WORKERS: "false",
          ...(key ? { SHIPCAST_ENCRYPTION_KEY: key } : {}),
        }),
        pino({ level: "silent" }),
        { cwd: "/nonexistent-shipcast-cwd", env: {} },
      );
    try {
      const first = await start(KEY_A);
      const { port } = await first.listen();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/sources`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ kind: "qovery", name: "org", secret: TOKEN }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      await first.close();

      await expect(start()).rejects.toThrow(ConfigError);
      await expect(start()).rejects.toThrow(/stored source\(s\) have encrypted secrets/);
      await expect(start(KEY_B)).rejects.toThrow(/another SHIPCAST_ENCRYPTION_KEY/);

      const again = await start(KEY_A);
      try {
        const address = await again.listen();
        const delivered = await fetch(
          `http://127.0.0.1:${address.port}/api/sources/${id}/webhooks`,
          {
            method: "POST",
            headers: { "content-type": "application/json", "qovery-signature": TOKEN },
            body: '{"event_type":"DEPLOYMENT_STARTED"}',
          },
        );
        expect(delivered.status).toBe(202);
      } finally {
        await again.close();
      }
    } finally {
      await database.drop();
    }
  });
});
