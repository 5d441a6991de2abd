import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import type { UrlTarget } from "../../../src/notifiers/kit/build-hook.js";
import { buildHookUrl } from "../../../src/notifiers/webhook/build-hook-url.js";
import { createOutboundHttp } from "../../../src/outbound/http-client.js";
import { startHttpReceiver } from "../../helpers/receivers.js";

const event = {
  schemaVersion: 1,
  kind: "build.requested",
  source: "shipcast",
  sourceEvent: "build_hook",
  project: { name: "web" },
  environment: { name: "production", type: "PRODUCTION" },
  urls: {},
  occurredAt: "2026-11-30T03:00:00.000Z",
  ids: {},
} satisfies DeployEvent;

describe("starting a build at a URL", () => {
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  const starter = buildHookUrl({
    http: createOutboundHttp({ guard: { allowLocal: true } }),
    version: "9.9.9",
  });
  const context = {
    deliveryId: "dlv_1",
    eventId: "evt_1",
    event,
    attempt: 1,
    signal: new AbortController().signal,
  };
  beforeAll(async () => {
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  function target(path: string): UrlTarget {
    return { type: "url", url: `${receiver.url}${path}`, headers: {}, ssl_verification: true };
  }

  it("fails a 410 without asking to disable anything (a build hook has no health)", async () => {
    receiver.on("/gone", (_req, res) => {
      res.statusCode = 410;
      res.end("gone");
    });
    const result = await starter.start(target("/gone"), context);
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 410 });
    expect(result.disableTarget).toBeUndefined();
  });

  it("judges a target's headers by the webhook notifications' rules", () => {
    expect(starter.problems(target("/ok"))).toEqual([]);
    const problems = starter.problems({ ...target("/ok"), headers: { "X-Shipcast-Event": "x" } });
    expect(problems).toEqual([expect.objectContaining({ field: "headers.X-Shipcast-Event" })]);
  });
});
