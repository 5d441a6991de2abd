import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/env.js";
import { createShipcast } from "../../../src/shipcast.js";
import { createTestDatabase, ENGINES } from "../../helpers/databases.js";
import { SECRETS } from "../../helpers/shipcast.js";

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("hex");

describe.each(ENGINES)("start-up with stored secrets on %s", (engine) => {
  it("refuses to start without the key the secrets were stored with, and starts with it", async () => {
    const database = await createTestDatabase(engine);
    const base = {
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      SHIPCAST_ADMIN_TOKEN: SECRETS.admin,
      SHIPCAST_WORKERS: "false",
    };
    const start = (key?: string) =>
      createShipcast(
        loadConfig({ ...base, ...(key ? { SHIPCAST_ENCRYPTION_KEY: key } : {}) }),
        pino({ level: "silent" }),
        { cwd: "/nonexistent-shipcast-cwd", env: {} },
      );
    try {
      const first = await start(KEY_A);
      const { port } = await first.listen();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/notifications`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ kind: "webhook", url: "https://example.com/", secret: "s" }),
      });
      expect(res.status).toBe(201);
      await first.close();

      await expect(start()).rejects.toThrow(ConfigError);
      await expect(start()).rejects.toThrow(
        /set SHIPCAST_ENCRYPTION_KEY to the key they were stored with/,
      );
      await expect(start(KEY_B)).rejects.toThrow(/another SHIPCAST_ENCRYPTION_KEY/);
      const again = await start(KEY_A);
      await again.close();
    } finally {
      await database.drop();
    }
  });

  it("refuses a key that is not 32 bytes, saying how to make one", () => {
    expect(() => loadConfig({ SHIPCAST_ENCRYPTION_KEY: "short" })).toThrow(
      /openssl rand -base64 32/,
    );
  });
});
