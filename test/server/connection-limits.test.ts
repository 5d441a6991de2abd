import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressKey } from "../../src/server/connection-limits.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

/** A raw connection that records what it receives and when the server closes it. */
function open(url: string, from = "127.0.0.1") {
  const socket: Socket = connect({
    port: Number(new URL(url).port),
    host: "127.0.0.1",
    localAddress: from,
  });
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  const connected = new Promise<void>((resolve) => {
    socket.once("connect", () => resolve());
    socket.once("close", () => resolve());
  });
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
  return { socket, connected, closed, received: () => received };
}

describe("HTTP time limits", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      HTTP_HEADERS_TIMEOUT_MS: "500",
      HTTP_REQUEST_TIMEOUT_MS: "1000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "500",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS", async () => {
    const client = open(app.url);
    await client.connected;
    client.socket.write("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
    const answeredAt = await new Promise<number>((resolve) =>
      client.socket.once("data", () => resolve(Date.now())),
    );
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Generous bound: the timeout plus slack for a busy machine; unbounded it would stay open.
    expect((await client.closed) - answeredAt).toBeLessThan(500 + 3000);
  });

  it("answers 408 and closes a request whose body trickles past HTTP_REQUEST_TIMEOUT_MS", async () => {
    const client = open(app.url);
    await client.connected;
    client.socket.write(
      `POST /api/gitlab/webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-gitlab-token: ${SECRETS.gitlab}\r\ncontent-length: 1000\r\n\r\n{`,
    );
    const startedAt = Date.now();
    const trickle = setInterval(() => client.socket.writable && client.socket.write(" "), 100);
    try {
      const closedAt = await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAt - startedAt).toBeLessThan(1000 + 3000);
    } finally {
      clearInterval(trickle);
    }
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers 408 and closes a connection that never finishes its headers", async () => {
    const client = open(app.url);
    await client.connected;
    client.socket.write("GET /healthz HTTP/1.1\r\n");
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("connection caps", () => {
  let app: TestShipcast;
  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      HTTP_HEADERS_TIMEOUT_MS: "1000",
      HTTP_MAX_CONNECTIONS: "20",
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: "12",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("closes connections beyond HTTP_MAX_CONNECTIONS_PER_ADDRESS on arrival, not those of other addresses", async () => {
    const fromOne = Array.from({ length: 15 }, () => open(app.url, "127.0.0.2"));
    await Promise.all(fromOne.map((c) => c.connected));
    const other = open(app.url, "127.0.0.3");
    await other.connected;
    other.socket.write("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    await other.closed;
    expect(other.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Three of the fifteen were closed on arrival, without a word; the other twelve were held
    // until their headers ran out of time.
    await Promise.all(fromOne.map((c) => c.closed));
    expect(fromOne.filter((c) => c.received() === "").length).toBe(3);
    expect(fromOne.filter((c) => c.received().startsWith("HTTP/1.1 408")).length).toBe(12);
    await noConnectionsLeft();
  });

  it("closes connections beyond HTTP_MAX_CONNECTIONS whatever their address", async () => {
    const clients = [
      ...Array.from({ length: 10 }, () => open(app.url, "127.0.0.4")),
      ...Array.from({ length: 10 }, () => open(app.url, "127.0.0.5")),
      ...Array.from({ length: 5 }, () => open(app.url, "127.0.0.6")),
    ];
    await Promise.all(clients.map((c) => c.connected));
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.filter((c) => c.received() === "").length).toBe(5);
    expect(clients.filter((c) => c.received().startsWith("HTTP/1.1 408")).length).toBe(20);
    // Once they are gone, there is room again.
    await noConnectionsLeft();
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  /** Waits until the server has seen every connection of the test go. */
  async function noConnectionsLeft(): Promise<void> {
    const count = () =>
      new Promise<number>((resolve, reject) =>
        app.shipcast.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      );
    await eventually(async () => ((await count()) === 0 ? true : undefined));
  }
});

describe("the address a connection counts against", () => {
  it("is the IPv4 address, also when mapped into IPv6", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("is the /64 of an IPv6 address, however it is written", () => {
    expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:DB8:0:0A::1")).toBe("2001:db8:0:a::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("1::2:3:4:5:1.2.3.4")).toBe("1:0:2:3::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });
});
