import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { countEventsByStatus } from "../../src/store/events-repository.js";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

const body = JSON.stringify(githubExamplesOf("deployment_status")[0]);
const signature = githubSignature(SECRETS.github, body);

describe.each(ENGINES)("crash recovery on %s", (engine) => {
  let database: TestDatabase | undefined;
  let running: ChildShipcast | undefined;

  afterEach(async () => {
    await running?.kill();
    running = undefined;
    await database?.drop();
  });

  it("processes at the next start every event acknowledged before a SIGKILL mid-stream", async () => {
    database = await createTestDatabase(engine);
    const env = { DATABASE_URL: database.url, WEBHOOK_SECRET: SECRETS.github };

    // First life: ingest only, so acknowledged events are certainly still pending when it dies.
    const first = await spawnShipcast({ ...env, SHIPCAST_WORKERS: "false" });
    running = first;
    const acknowledged = new Set<string>();
    let sent = 0;
    let killed = false;
    const sender = async () => {
      while (!killed) {
        sent++;
        try {
          const res = await fetch(`${first.url}/api/github/webhooks`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-github-event": "deployment_status",
              "x-github-delivery": randomUUID(),
              "x-hub-signature-256": signature,
            },
            body,
          });
          if (res.status === 202) acknowledged.add(((await res.json()) as { id: string }).id);
        } catch {
          // The connection died with the process: that request was never acknowledged.
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await eventually(() => (acknowledged.size >= 150 ? true : undefined), 20_000);
    await first.kill(); // mid-stream: eight requests are in flight right now
    killed = true;
    await Promise.all(senders);
    running = undefined;
    expect(sent).toBeGreaterThan(acknowledged.size);

    const store = await openStore(database.location);
    try {
      const before = await countEventsByStatus(store.db);
      expect(before.pending).toBeGreaterThanOrEqual(acknowledged.size);
      expect(before.processed).toBe(0);
    } finally {
      await store.close();
    }

    // Second life, workers on: everything pending is processed without any new request.
    running = await spawnShipcast(env);
    const reopened = await openStore(database.location);
    try {
      const after = await eventually(async () => {
        const counts = await countEventsByStatus(reopened.db);
        return counts.pending === 0 ? counts : undefined;
      }, 20_000);
      expect(after.failed).toBe(0);
      const rows = await reopened.db
        .selectFrom("events")
        .innerJoin("event_payloads", "event_payloads.event_id", "events.id")
        .select(["events.id", "events.status", "event_payloads.body"])
        .execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of acknowledged) {
        expect(byId.get(id)?.status).toBe("processed");
      }
      // No half-written row: every event has its complete payload.
      expect(rows.length).toBe((await countEventsByStatus(reopened.db)).processed);
      for (const row of rows) expect(row.body).toBe(body);
    } finally {
      await reopened.close();
    }
  });
});
