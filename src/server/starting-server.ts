import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "./respond.js";

/** Seconds a sender is told to wait while Shipcast starts. */
const STARTING_RETRY_AFTER_SECONDS = 5;

/** The port of a starting server, and how to hand it over. */
export interface StartingServer {
  port: number;
  /** Closes it, and every connection it has, so that the real server can bind the port. */
  close(): Promise<void>;
}

/**
 * The server of the start-up, bound before the store is opened so that probes get an answer
 * while the migrations run (a long one, or one waiting for another process's migration lock on
 * PostgreSQL): `/healthz` 200 (the process is alive), `/readyz` 503 (it cannot serve yet), and
 * every other request 503 with Retry-After, which every webhook sender retries. Resolves
 * undefined when the port cannot be bound: the real server's listen then says why.
 */
export async function startStartingServer(
  port: number,
  host: string | undefined,
): Promise<StartingServer | undefined> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://shipcast.invalid").pathname;
    const close = { connection: "close" };
    if (path === "/healthz") {
      sendJson(res, 200, { status: "starting" }, close);
    } else if (path === "/readyz") {
      sendJson(
        res,
        503,
        { status: "starting", error: "opening the store and running its migrations" },
        close,
      );
    } else {
      sendJson(
        res,
        503,
        { error: "Shipcast is starting; retry later" },
        {
          ...close,
          "retry-after": String(STARTING_RETRY_AFTER_SECONDS),
        },
      );
    }
    // Whatever body the request has is not wanted; the connection closes after the answer.
    req.resume();
  });
  const bound = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (!bound) return undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
