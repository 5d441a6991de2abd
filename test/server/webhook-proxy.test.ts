import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookProxy } from "../../src/server/webhook-proxy.js";
import { getEvent, listEvents } from "../../src/store/events-repository.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";
import { startChannel } from "../helpers/smee-channel.js";

describe("WEBHOOK_PROXY_URL (smee-client)", () => {
  let app: TestShipcast;
  const channel = startChannel();
  beforeAll(async () => {
    app = await startTestShipcast("sqlite");
  });
  afterAll(async () => {
    await channel.close();
    await app.close();
  });

  it("forwards a channel's deliveries to the GitHub route, where they are verified and stored", async () => {
    const source = await channel.listen();
    const port = Number(new URL(app.url).port);
    const proxy = await startWebhookProxy(source, port, pino({ level: "silent" }));
    try {
      const payload = githubExamplesOf("deployment_status")[0];
      const delivery = randomUUID();
      channel.publish({
        "x-github-event": "deployment_status",
        "x-github-delivery": delivery,
        "x-hub-signature-256": githubSignature(SECRETS.github, JSON.stringify(payload)),
        body: payload,
        query: {},
        timestamp: Date.now(),
      });
      const page = await eventually(async () => {
        const found = await listEvents(app.shipcast.store.db, { source: "github" }, { limit: 10 });
        return found.items.length > 0 ? found : undefined;
      });
      expect(page.items[0]?.dedupe_key).toBe(delivery);
      const row = await getEvent(app.shipcast.store.db, page.items[0]?.id ?? "");
      expect(JSON.parse(row?.body ?? "null")).toEqual(payload);

      // A forged delivery through the same channel is still refused.
      channel.publish({
        "x-github-event": "deployment_status",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature("not-the-secret", JSON.stringify(payload)),
        body: payload,
      });
      await new Promise((r) => setTimeout(r, 300));
      const after = await listEvents(app.shipcast.store.db, {}, { limit: 10 });
      expect(after.total).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});
