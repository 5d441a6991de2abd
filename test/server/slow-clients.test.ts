import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { SECRETS } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

const HEADERS_TIMEOUT_MS = 1500;
const PER_ADDRESS = 100;

interface SlowSocket {
  from: string;
  openedAt: number;
  closedAt?: number;
  answer: string;
}

/**
 * A client that sends a request line and then one header line a second, never finishing its
 * headers. `connected` resolves once the connection is up (or failed), `closed` with a record of
 * what the server answered and when it closed; `stop` ends the socket whatever happened.
 */
function slowClient(
  port: number,
  from: string,
  stop: AbortSignal,
): { connected: Promise<void>; closed: Promise<SlowSocket> } {
  let connected!: () => void;
  const connection = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const closed = new Promise<SlowSocket>((resolve) => {
    const record: SlowSocket = { from, openedAt: Date.now(), answer: "" };
    const socket = connect({ port, host: "127.0.0.1", localAddress: from });
    let lines = 0;
    const timer = setInterval(() => {
      if (socket.writable) socket.write(`x-slow-${lines++}: ${"y".repeat(20)}\r\n`);
    }, 1000);
    const end = () => {
      clearInterval(timer);
      record.closedAt ??= Date.now();
      socket.destroy();
    };
    stop.addEventListener("abort", end);
    socket.on("data", (chunk) => {
      record.answer += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      record.closedAt ??= Date.now();
      connected();
      resolve(record);
    });
    socket.on("connect", () => {
      record.openedAt = Date.now();
      socket.write("POST /api/github/webhooks HTTP/1.1\r\nhost: shipcast.test\r\n");
      connected();
    });
  });
  return { connected: connection, closed };
}

describe("a flood of slow clients (a real process)", () => {
  let database: TestDatabase;
  let shipcast: ChildShipcast;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    shipcast = await spawnShipcast({
      DATABASE_URL: database.url,
      WEBHOOK_SECRET: SECRETS.github,
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: "3000",
      HTTP_MAX_CONNECTIONS: "350",
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
    });
  }, 30_000);

  afterAll(async () => {
    await shipcast?.stop();
    await database?.drop();
  });

  it("blocks neither a signed sender nor /healthz, and every slow socket is closed by its header deadline", async () => {
    const port = Number(new URL(shipcast.url).port);
    const stop = new AbortController();
    // Every slow client listens for the one stop: hundreds of listeners on purpose.
    setMaxListeners(0, stop.signal);
    // 400 slow sockets: 200 from one address (twice its cap) and 100 from each of two others.
    // Without the per-address cap they would fill HTTP_MAX_CONNECTIONS (350) and lock out the
    // sender below; without the header deadline they would stay open for as long as they like.
    const sources = [
      ...Array<string>(200).fill("127.0.0.2"),
      ...Array<string>(100).fill("127.0.0.3"),
      ...Array<string>(100).fill("127.0.0.4"),
    ];
    const clients = sources.map((from) => slowClient(port, from, stop.signal));
    // However the run goes, no slow socket outlives this.
    const guard = setTimeout(() => stop.abort(), 10_000);
    await Promise.all(clients.map((c) => c.connected));

    const body = JSON.stringify(githubExamplesOf("deployment_status")[0]);
    const answers: number[] = [];
    let firstAnsweredAt = Number.POSITIVE_INFINITY;
    let slow: SlowSocket[];
    try {
      for (let round = 0; round < 5; round++) {
        const [webhook, health] = await Promise.all([
          fetch(`${shipcast.url}/api/github/webhooks`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-github-event": "deployment_status",
              "x-github-delivery": randomUUID(),
              "x-hub-signature-256": githubSignature(SECRETS.github, body),
            },
            body,
          }),
          fetch(`${shipcast.url}/healthz`),
        ]);
        answers.push(webhook.status, health.status);
        firstAnsweredAt = Math.min(firstAnsweredAt, Date.now());
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      slow = await Promise.all(clients.map((c) => c.closed));
      clearTimeout(guard);
    }
    expect(answers).toEqual([202, 200, 202, 200, 202, 200, 202, 200, 202, 200]);

    // The server closed every slow socket, none was left for the guard to close …
    expect(stop.signal.aborted).toBe(false);
    const held = slow.filter((s) => s.answer.startsWith("HTTP/1.1 408"));
    const refused = slow.filter((s) => s.answer === "");
    // The sender and the health check were answered while the flood held its connections.
    expect(firstAnsweredAt).toBeLessThan(Math.min(...held.map((s) => s.closedAt as number)));
    // … those within their address's cap when their headers ran out of time (a generous bound:
    // the deadline plus the interval at which Node checks it plus slack for a busy machine) …
    for (const s of held) {
      expect((s.closedAt as number) - s.openedAt).toBeLessThan(HEADERS_TIMEOUT_MS + 3000);
    }
    const heldFrom = (from: string) => held.filter((s) => s.from === from).length;
    expect(heldFrom("127.0.0.3")).toBe(100);
    expect(heldFrom("127.0.0.4")).toBe(100);
    expect(heldFrom("127.0.0.2")).toBeLessThanOrEqual(PER_ADDRESS);
    // … and those beyond it on arrival.
    expect(refused.filter((s) => s.from === "127.0.0.2").length).toBeGreaterThanOrEqual(
      200 - PER_ADDRESS,
    );
    expect(held.length + refused.length).toBe(400);
  }, 20_000);
});
