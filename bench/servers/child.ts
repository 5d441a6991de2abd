import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Message a benchmark server sends its parent over IPC once it listens. */
export interface ReadyMessage {
  type: "ready";
  port: number;
}

/** An environment variable the parent must set. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    console.error(`${name} is not set: this server is started by a benchmark (bench/)`);
    process.exit(2);
  }
  return value;
}

/**
 * Listens on 127.0.0.1 on a free port, tells the parent which (IPC), and exits when the parent
 * asks (SIGTERM/SIGINT) or goes away (IPC channel closed), so no server outlives the benchmark.
 */
export function serveForParent(server: Server): void {
  const exit = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", exit);
  process.on("SIGINT", exit);
  process.on("disconnect", exit);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    const message: ReadyMessage = { type: "ready", port };
    if (process.send) process.send(message);
    else console.log(`listening on http://127.0.0.1:${port}`);
  });
}
