/**
 * A notification row as the API would have stored it, for tests of what happens to one (its
 * health, its log lines) without going through the API.
 */
import type { Store } from "../../src/store/database.js";
import { insertNotification } from "../../src/store/notifications-repository.js";

/**
 * Inserts an active webhook notification `id` ("deploys to the team hook", every event, no
 * secret), created and updated at `at` (epoch milliseconds).
 */
export async function insertTestWebhookNotification(
  store: Store,
  id: string,
  at: number,
): Promise<void> {
  await insertNotification(store.db, {
    id,
    kind: "webhook",
    description: "deploys to the team hook",
    enabled: 1,
    filters: JSON.stringify({ events: "all" }),
    settings: JSON.stringify({ url: "https://hooks.example.com/x" }),
    secrets: null,
    consecutive_failures: 0,
    disabled_until: null,
    disabled_reason: null,
    created_at: new Date(at).toISOString(),
    updated_at: new Date(at).toISOString(),
  });
}
