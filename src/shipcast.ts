import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config/env.js";
import type { NormalizeOptions } from "./events/deploy-event.js";
import { createProbot, handToProbot } from "./github-app.js";
import { EventWorker } from "./ingest/event-worker.js";
import { InboxWriter } from "./ingest/inbox-writer.js";
import type { Logger } from "./logger.js";
import { createHttpServer } from "./server/http-server.js";
import { SOURCES } from "./sources/index.js";
import { openStore, type Store } from "./store/database.js";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** A running Shipcast: its server, store and worker, and how to stop them in order. */
export interface Shipcast {
  server: Server;
  store: Store;
  worker: EventWorker | undefined;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Stops accepting requests, lets in-flight ones finish, stops the worker, closes the store. */
  close(): Promise<void>;
}

/** Which web hosts are GitHub and which GitLab, from the configuration. */
export function normalizeOptionsFrom(config: Config): NormalizeOptions {
  const gitlabHost = new URL(config.gitlab.url).host;
  return {
    githubHosts: [...new Set(["github.com", config.github.host])],
    gitlabHosts: [...new Set(["gitlab.com", gitlabHost])],
  };
}

/** Opens the store (running migrations) and wires server, inbox and worker. */
export async function createShipcast(config: Config, log: Logger): Promise<Shipcast> {
  const store = await openStore(config.databaseUrl);
  const probot = await createProbot(config, log);
  const worker = config.workers
    ? new EventWorker({
        store,
        normalizeOptions: normalizeOptionsFrom(config),
        log,
        afterCommit: probot ? handToProbot(probot, log) : undefined,
      })
    : undefined;
  const inbox = new InboxWriter(store, () => worker?.wake());
  const server = createHttpServer({ config, store, inbox, log, version: VERSION });

  return {
    server,
    store,
    worker,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      worker?.start();
      return server.address() as AddressInfo;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await worker?.stop();
      await store.close();
    },
  };
}

/** Start-up lines saying which sources are active and what enables the others. */
export function describeSources(config: Config): string[] {
  return SOURCES.map((source) => {
    const active = config.sources[source.name as keyof Config["sources"]]?.secret !== undefined;
    return active
      ? `source ${source.name}: active at POST ${source.route}`
      : `source ${source.name}: off (set ${source.secretSetting} to enable POST ${source.route})`;
  });
}
