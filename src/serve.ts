/**
 * Start-up and its dry run, for `shipcast serve` and `shipcast check`. Loaded only by those
 * commands, so the API-client commands start without loading the server.
 */
import { existsSync } from "node:fs";
import { type Config, ConfigError, describeStoreLocation, loadConfig } from "./config/env.js";
import { createProbot } from "./github-app.js";
import { createLogger, createProcessLogger } from "./logging/logger.js";
import { createOutboundHttp } from "./outbound/http-client.js";
import { type StartingServer, startStartingServer } from "./server/starting-server.js";
import { startWebhookProxy } from "./server/webhook-proxy.js";
import {
  createRegistry,
  createShipcast,
  describeRouting,
  describeSources,
  loadRouting,
  type Shipcast,
  VERSION,
} from "./shipcast.js";
import { SOURCES } from "./sources/index.js";
import { openStore } from "./store/database.js";
import { StickyComments } from "./store/sticky-comments-repository.js";

/** `npm start`: read the configuration, open the store, serve, and stop cleanly on signals. */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`shipcast: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const log = createProcessLogger(config.logLevel, config.logFormat);
  let starting: StartingServer | undefined;
  let shipcast: Shipcast | undefined;
  let proxy: { stop(): Promise<void> } | undefined;
  // Before anything is announced: a signal sent as soon as "listening on" is read must find the
  // handler, or the process dies without closing the store.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    await starting?.close();
    await proxy?.stop();
    await shipcast?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  // Probes get an answer (/readyz 503) while the store opens and migrates; with PORT=0 the real
  // server then takes the port this one was given.
  starting = await startStartingServer(config.port, config.host);
  if (starting) {
    config = { ...config, port: starting.port };
    log.info(
      `Shipcast ${VERSION} starting on http://${config.host ?? "localhost"}:${starting.port}: opening the store (GET /readyz answers 503 until it is ready)`,
    );
  }
  try {
    shipcast = await createShipcast(config, log);
  } catch (error) {
    await starting?.close();
    if (error instanceof ConfigError) {
      console.error(`shipcast: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  await starting?.close();
  starting = undefined;
  const address = await shipcast.listen();
  proxy = config.webhookProxyUrl
    ? await startWebhookProxy(config.webhookProxyUrl, address.port, log)
    : undefined;
  const url = `http://${config.host ?? "localhost"}:${address.port}`;
  // One record, last, so that whoever waits for "listening on" has the whole report.
  log.info(
    { startup: startupFacts(config, shipcast, url) },
    [`Shipcast ${VERSION} listening on ${url}`, ...describeStartup(config, shipcast)].join("\n  "),
  );
}

/** The lines of the start-up summary after the first: store, sources, routing, outputs, … */
export function describeStartup(config: Config, shipcast: Shipcast): string[] {
  return [
    `store: ${describeStoreLocation(config.database)}${
      config.database.engine === "sqlite" && config.database.path !== ":memory:"
        ? ", held by this process alone"
        : ""
    }`,
    ...describeSources(config),
    `sources through the API: ${shipcast.sources.directory.size} enabled at POST /api/sources/<id>/webhooks`,
    ...describeRouting(shipcast),
    config.githubApp
      ? `GitHub App ${config.githubApp.appId}: installation clients available`
      : "GitHub App: off (set APP_ID and PRIVATE_KEY or PRIVATE_KEY_PATH to run as the GitHub App)",
    config.adminToken
      ? "management API: on at /api/v1"
      : "management API: off (set SHIPCAST_ADMIN_TOKEN to enable /api/v1)",
    config.encryptionKey
      ? "secrets at rest: encrypted with SHIPCAST_ENCRYPTION_KEY"
      : "secrets at rest: no key (the API refuses secrets until SHIPCAST_ENCRYPTION_KEY is set; openssl rand -base64 32)",
    config.network.allowLocal
      ? "network guard: local networks allowed (ALLOW_LOCAL_NETWORK=true); metadata addresses blocked"
      : config.network.allowedNetworks.length > 0
        ? `network guard: public addresses and ${config.network.allowedNetworks.join(", ")} (ALLOWED_NETWORKS)`
        : "network guard: public addresses only (set ALLOW_LOCAL_NETWORK=true for receivers on your own network)",
    config.metricsToken
      ? "metrics: on at GET /metrics (bearer METRICS_TOKEN); readiness at GET /readyz"
      : "metrics: off (set METRICS_TOKEN to enable GET /metrics); readiness at GET /readyz",
    config.workers
      ? `workers: on (${config.delivery.concurrency} deliveries at once)`
      : "workers: off in this process (SHIPCAST_WORKERS=false)",
  ];
}

/** The start-up summary as data, for JSON logs. */
function startupFacts(config: Config, shipcast: Shipcast, url: string) {
  return {
    version: VERSION,
    url,
    store: config.database.engine,
    sources: SOURCES.filter(
      (source) => config.sources[source.name as keyof Config["sources"]]?.secret !== undefined,
    ).map((source) => source.name),
    routingFile: shipcast.routing.file ?? null,
    targets: shipcast.routing.targets.size,
    routes: shipcast.routing.routes.length,
    outputs: shipcast.registry.kinds(),
    githubApp: config.githubApp !== undefined,
    api: config.adminToken !== undefined,
    metrics: config.metricsToken !== undefined,
    workers: config.workers,
  };
}

/** `shipcast serve` (and `shipcast` alone): `main`, reporting a start that failed. */
export function serve(): Promise<void> {
  return main().catch((error: unknown) => {
    console.error("shipcast: failed to start:", error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * `shipcast check`: reads the environment and the routing file as start-up does and prints what
 * start-up prints about them, or its error; leaves the store alone and listens on nothing. Exit
 * code 1 on any problem.
 */
export async function check(): Promise<number> {
  // The outputs that keep pull/merge-request comments are only registered with a comment store;
  // an in-memory one stands in for the real store, which check leaves untouched.
  const scratch = await openStore({ engine: "sqlite", path: ":memory:" });
  try {
    const config = loadConfig();
    const probot = await createProbot(config, createLogger(config.logLevel));
    const http = createOutboundHttp({ guard: config.network });
    const outputs = createRegistry(config, {
      http,
      probot,
      sticky: new StickyComments(scratch.db),
    });
    try {
      const routing = loadRouting(config, outputs.registry);
      const lines = [
        ...describeSources(config),
        // describeRouting reads only these two of a running Shipcast.
        ...describeRouting({ routing, registry: outputs.registry } as Shipcast),
      ];
      for (const line of lines) console.log(line);
      console.log("check: ok (the environment and the routing file are valid)");
      return 0;
    } finally {
      outputs.close();
    }
  } catch (error) {
    console.error(`shipcast: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await scratch.close();
  }
}
