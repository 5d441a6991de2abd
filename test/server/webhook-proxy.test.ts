import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookProxy } from "../../src/server/webhook-proxy.js";
import { getEvent, listEvents } from "../../src/store/events-repository.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

/**
 * A local stand-in for a smee.io channel: an event stream that relays what is published to it,
 * in smee's message format (the request's headers plus `body` and `query`).
 */
function startChannel() {
  const clients = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.write("event: ready\ndata: {}\n\n");
    clients.add(res);
    res.on("close", () => clients.delete(res));
  });
  return {
    server,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/channel`),
        ),
      ),
    publish(message: unknown) {
      for (const res of clients) res.write(`data: ${JSON.stringify(message)}\n\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of clients) res.destroy();
        server.close(() => resolve());
      }),
  };
}

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
