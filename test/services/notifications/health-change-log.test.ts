import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import type { HealthOutcome } from "../../../src/services/notifications/notification-health.js";
import { NotificationHealthTracker } from "../../../src/services/notifications/notification-health-tracker.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/databases.js";
import { insertTestWebhookNotification } from "../../helpers/notifications.js";

const ID = "ntf_0123456789abcdef";
const NOW = Date.parse("2026-11-23T10:00:00Z");

describe("the log of a notification's health", () => {
  let database: TestDatabase;
  let store: Store;
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("says at warn when a notification is paused, recovers and is disabled", async () => {
    database = await createTestDatabase("sqlite");
    store = await openStore(database.location);
    await insertTestWebhookNotification(store, ID, NOW);
    const lines: Array<{ level: number; msg: string; notification?: unknown }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString("utf8")));
        done();
      },
    });
    const tracker = new NotificationHealthTracker({
      planAlert: () => [],
      log: createLogger("info", sink),
    });
    const apply = (outcome: HealthOutcome, at: number) =>
      store.db.transaction().execute((trx) => tracker.applyOutcome(trx, ID, outcome, at));

    for (let i = 0; i < 4; i++) await apply({ type: "failure", error: "500 boom" }, NOW + i);
    // After the pause: delivered again.
    await apply({ type: "success" }, NOW + 3_600_000);
    await apply({ type: "gone", reason: "the receiver answered 410 Gone" }, NOW + 3_600_001);

    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [
        40,
        `notification ${ID} (webhook "deploys to the team hook"): paused for 1 min after 4 consecutive failed deliveries; last error: 500 boom`,
      ],
      [
        40,
        `notification ${ID} (webhook "deploys to the team hook"): recovered, delivered again after 4 consecutive failures`,
      ],
      [
        40,
        `notification ${ID} (webhook "deploys to the team hook"): disabled: the receiver answered 410 Gone`,
      ],
    ]);
    expect(lines[0]?.notification).toMatchObject({ id: ID, kind: "webhook", state: "paused" });
  });
});
