import { afterEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { NotificationHealthTracker } from "../../../src/services/notifications/notification-health-tracker.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { listDeliveries } from "../../../src/store/deliveries-repository.js";
import { getEvent, listEvents } from "../../../src/store/events-repository.js";
import {
  getNotificationRow,
  listStateChanges,
} from "../../../src/store/notifications-repository.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../helpers/databases.js";
import { insertTestWebhookNotification } from "../../helpers/notifications.js";

const ID = "ntf_0123456789abcdef";
const NOW = Date.parse("2026-11-23T10:00:00Z");

describe.each(ENGINES)("notification health tracker on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;

  async function setUp(): Promise<void> {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    await insertTestWebhookNotification(store, ID, NOW);
  }

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function failTimes(tracker: NotificationHealthTracker, n: number) {
    const changes = [];
    for (let i = 0; i < n; i++) {
      changes.push(
        await store.db
          .transaction()
          .execute((trx) =>
            tracker.applyOutcome(trx, ID, { type: "failure", error: "500 boom" }, NOW + i),
          ),
      );
    }
    return changes;
  }

  it("pauses at the fourth failure and writes the alert with the deliveries planAlert gives", async () => {
    await setUp();
    const asked: DeployEvent[] = [];
    const tracker = new NotificationHealthTracker({
      planAlert: (event) => {
        asked.push(event);
        return [{ target: "ops-slack", kind: "slack", subject: `alert:${ID}` }];
      },
    });

    const changes = await failTimes(tracker, 4);

    expect(changes.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(changes[3]).toMatchObject({ state: "paused", announce: true });
    const row = await getNotificationRow(store.db, ID);
    expect(row).toMatchObject({ enabled: 1, consecutive_failures: 4 });
    expect(row?.disabled_until).not.toBeNull();
    const [history] = await listStateChanges(store.db, ID);
    expect(history).toMatchObject({ state: "paused", actor: "deliveries" });

    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      kind: "notification.paused",
      source: "shipcast",
      ids: { notification: ID, change: history?.id },
      alert: { notification: { id: ID, kind: "webhook" }, state: "paused" },
    });
    const events = await listEvents(store.db, { source: "shipcast" }, { limit: 10 });
    expect(events.items.map((e) => [e.event_name, e.dedupe_key])).toEqual([
      ["notification.paused", `health:${history?.id}`],
    ]);
    const stored = await getEvent(store.db, events.items[0]?.id ?? "");
    expect(JSON.parse(stored?.normalized ?? "null")).toEqual(asked[0]);
    const deliveries = await listDeliveries(store.db, {}, { limit: 10 });
    expect(deliveries.items.map((d) => [d.event_id, d.target, d.kind, d.subject])).toEqual([
      [events.items[0]?.id, "ops-slack", "slack", `alert:${ID}`],
    ]);
  });

  it("records the change but writes no alert event when planAlert plans no delivery", async () => {
    await setUp();
    const tracker = new NotificationHealthTracker({ planAlert: () => [] });

    const changes = await failTimes(tracker, 4);

    expect(changes[3]).toMatchObject({ state: "paused" });
    expect((await listStateChanges(store.db, ID)).map((c) => c.state)).toEqual(["paused"]);
    expect((await listEvents(store.db, {}, { limit: 10 })).total).toBe(0);
    expect((await listDeliveries(store.db, {}, { limit: 10 })).total).toBe(0);
  });
});
