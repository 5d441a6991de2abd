import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for a smee.io channel: an event stream that relays what is published to it,
 * in smee's message format (the request's headers plus `body` and `query`).
 */
export function startChannel() {
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
