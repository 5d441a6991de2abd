import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Probot } from "probot";
import { createApiApp } from "./api/api-app.js";
import { createApiHandler } from "./api/node-listener.js";
import { openApiDocument } from "./api/openapi.js";
import { type Config, ConfigError } from "./config/env.js";
import { loadRoutingFile, type RoutingConfig, RoutingFileError } from "./config/routing-file.js";
import { deliveryLogObserver, observeAll } from "./delivery/delivery-observer.js";
import { DeliveryWorker } from "./delivery/delivery-worker.js";
import { LogRetention } from "./delivery/log-retention.js";
import { ManualDelivery } from "./delivery/manual-delivery.js";
import { createRetryPolicy } from "./delivery/retry-policy.js";
import type { NormalizeOptions } from "./events/deploy-event.js";
import { createProbot, handToProbot } from "./github-app.js";
import { EventWorker } from "./ingest/event-worker.js";
import { InboxWriter } from "./ingest/inbox-writer.js";
import type { Logger } from "./logging/logger.js";
import { createMetrics, type ShipcastMetrics } from "./metrics/shipcast-metrics.js";
import { createSmtpTransport, emailNotifier } from "./notifiers/email/email.js";
import { createGithubClients, type GithubClients } from "./notifiers/github/github-clients.js";
import { githubCommentNotifier } from "./notifiers/github/github-comment.js";
import { githubStatusNotifier } from "./notifiers/github/github-status.js";
import { repositoryNotifyNotifier } from "./notifiers/github/repository-notify.js";
import { RepositorySettingsCache } from "./notifiers/github/repository-settings.js";
import { githubWorkflowDispatch } from "./notifiers/github/workflow-dispatch.js";
import { createGitlabClient } from "./notifiers/gitlab/gitlab-client.js";
import { gitlabCommentNotifier } from "./notifiers/gitlab/gitlab-comment.js";
import { gitlabStatusNotifier } from "./notifiers/gitlab/gitlab-status.js";
import { gitlabPipelineTrigger } from "./notifiers/gitlab/pipeline-trigger.js";
import { NotifierRegistry } from "./notifiers/kit/registry.js";
import { slackNotifier } from "./notifiers/slack/slack.js";
import { buildHookUrl } from "./notifiers/webhook/build-hook-url.js";
import { webhookNotifier } from "./notifiers/webhook/webhook.js";
import { createOutboundHttp, type OutboundHttp } from "./outbound/http-client.js";
import { createPlanner } from "./routing/delivery-planner.js";
import { createHttpServer } from "./server/http-server.js";
import { buildHookNotifier } from "./services/build-hooks/build-hook-notifier.js";
import { BuildHookTriggers } from "./services/build-hooks/build-hook-triggers.js";
import { BuildHooks } from "./services/build-hooks/build-hooks.js";
import { NotificationCrud } from "./services/notifications/notification-crud.js";
import { NotificationDirectory } from "./services/notifications/notification-directory.js";
import { NotificationHealthTracker } from "./services/notifications/notification-health-tracker.js";
import { Notifications } from "./services/notifications/notifications.js";
import { createServices } from "./services/services.js";
import { SourceCrud } from "./services/sources/source-crud.js";
import { SourceDirectory } from "./services/sources/source-directory.js";
import { sourceStates } from "./services/sources/source-states.js";
import { Sources } from "./services/sources/sources.js";
import { SOURCES } from "./sources/index.js";
import { openStore, type Store } from "./store/database.js";
import { SecretBox, SecretBoxError } from "./store/secret-box.js";
import { StickyComments } from "./store/sticky-comments-repository.js";
import { createWebApp } from "./web/web-app.js";

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
  deliveryWorker: DeliveryWorker | undefined;
  routing: RoutingConfig;
  registry: NotifierRegistry;
  /** The sources managed through the API. */
  sources: Sources;
  /** The Prometheus metrics, when METRICS_TOKEN turns them on. */
  metrics: ShipcastMetrics | undefined;
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

/** The outputs this deployment can serve, each given its client. */
export function createRegistry(
  config: Config,
  deps: {
    http: OutboundHttp;
    sticky?: StickyComments;
    probot?: Probot;
    /** Where the `build-hook` notifier loads hooks from; absent: build hooks are off. */
    buildHooks?: Pick<BuildHooks, "load">;
  },
) {
  const { http, sticky, probot, buildHooks } = deps;
  let clients: GithubClients | undefined;
  const registry = new NotifierRegistry().register(slackNotifier({ http }));
  registry.register(webhookNotifier({ http, version: VERSION }));
  const transport = config.email.smtpUrl ? createSmtpTransport(config.email.smtpUrl) : undefined;
  if (transport) registry.register(emailNotifier({ transport, from: config.email.from }));
  else registry.markOff("email", "set SMTP_URL to send email");

  if (probot && sticky) {
    clients = createGithubClients(probot, {
      webOrigin: `${config.github.protocol}://${config.github.host}`,
      eagerToken: config.github.host === "github.com",
    });
    // One cache, so the status and the comment of one event read the repository file once.
    const settingsCache = new RepositorySettingsCache();
    registry.register(githubStatusNotifier({ clients, settingsCache }));
    registry.register(githubCommentNotifier({ clients, sticky, settingsCache }));
    // Reads the repository's `notify` for the planner; not an output a target can use.
    registry.register(repositoryNotifyNotifier({ clients, settingsCache }));
  } else {
    for (const kind of ["github-status", "github-comment"]) {
      registry.markOff(kind, "set APP_ID and PRIVATE_KEY to run as the GitHub App");
    }
  }

  if (config.gitlab.token && sticky) {
    const gitlab = createGitlabClient({ url: config.gitlab.url, token: config.gitlab.token });
    const origins = [new URL(config.gitlab.url).origin];
    registry.register(gitlabStatusNotifier({ gitlab, origins }));
    registry.register(gitlabCommentNotifier({ gitlab, sticky, origins }));
  } else {
    for (const kind of ["gitlab-status", "gitlab-comment"]) {
      registry.markOff(kind, "set GITLAB_TOKEN to write to GitLab");
    }
  }

  if (buildHooks) {
    registry.register(
      buildHookNotifier({
        load: (id) => buildHooks.load(id),
        github: clients && githubWorkflowDispatch({ clients }),
        gitlab: gitlabPipelineTrigger({ url: config.gitlab.url, token: config.gitlab.token }),
        url: buildHookUrl({ http, version: VERSION }).start,
      }),
    );
  }
  return { registry, close: () => transport?.close() };
}

/**
 * Loads the routing file (a `ConfigError` naming the file, path and line when it is invalid).
 * `cwd` is where `shipcast.yml` is looked for.
 */
export function loadRouting(
  config: Config,
  registry: NotifierRegistry,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): RoutingConfig {
  try {
    return loadRoutingFile({ path: config.routingFile, cwd, env, registry });
  } catch (error) {
    if (error instanceof RoutingFileError) throw new ConfigError(error.message);
    throw error;
  }
}

export interface ShipcastDependencies {
  /** Variables for `${VAR}` in the routing file. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Where `shipcast.yml` is looked for. Default: the working directory. */
  cwd?: string;
  /** The HTTP client for user-supplied URLs. Default: the guarded undici client. */
  http?: OutboundHttp;
}

/** Opens the store (running migrations) and wires server, inbox and workers. */
export async function createShipcast(
  config: Config,
  log: Logger,
  deps: ShipcastDependencies = {},
): Promise<Shipcast> {
  const http =
    deps.http ??
    createOutboundHttp({
      guard: {
        allowLocal: config.network.allowLocal,
        allowedNetworks: config.network.allowedNetworks,
      },
    });
  const store = await openStore(config.database, { lock: "shipcast serve" });
  const sticky = new StickyComments(store.db);
  const box = config.encryptionKey ? new SecretBox(config.encryptionKey) : undefined;
  const buildHooks = new BuildHooks({
    db: store.db,
    box,
    availability: {
      githubOff: config.githubApp ? undefined : "set APP_ID and PRIVATE_KEY",
      gitlabToken: config.gitlab.token !== undefined,
    },
    urlProblems: buildHookUrl({ http, version: VERSION }).problems,
  });
  let probot: Probot | undefined;
  let outputs: ReturnType<typeof createRegistry>;
  let routing: RoutingConfig;
  try {
    probot = await createProbot(config, log);
    outputs = createRegistry(config, { http, sticky, probot, buildHooks });
    routing = loadRouting(config, outputs.registry, deps.env, deps.cwd);
  } catch (error) {
    await store.close();
    throw error;
  }
  const { registry } = outputs;
  // The planner resolves targets in the directory, whose health tracker plans alerts with it.
  const planner = createPlanner({
    routes: routing.routes,
    moreRoutes: () => directory.routes(),
    targets: { get: (name) => directory.get(name) },
    registry,
    defaultOutputs: routing.defaultOutputs,
    repositoryTargets: routing.repositoryTargets,
    alerts: routing.alerts,
  });
  const directory = new NotificationDirectory({
    db: store.db,
    box,
    registry,
    fileTargets: routing.targets,
    log,
  });
  const notifications = new Notifications({
    directory,
    crud: new NotificationCrud({
      db: store.db,
      box,
      registry,
      fileTargets: routing.targets,
      onChange: () => directory.reload(),
    }),
    health: new NotificationHealthTracker({
      planAlert: planner.planAlert,
      log,
    }),
  });
  const sourceDirectory = new SourceDirectory({ db: store.db, box, log });
  const sources = new Sources(
    sourceDirectory,
    new SourceCrud({
      db: store.db,
      box,
      environment: config.sources,
      publicUrl: config.publicUrl,
      onChange: () => sourceDirectory.reload(),
    }),
  );
  try {
    await notifications.load();
    await sources.load();
  } catch (error) {
    await store.close();
    outputs.close();
    if (error instanceof SecretBoxError)
      throw new ConfigError(`SHIPCAST_ENCRYPTION_KEY: ${error.message}`);
    throw error;
  }
  const { targets, planFollowUps } = planner;
  const metrics = config.metricsToken
    ? createMetrics({
        store,
        version: VERSION,
        sources: SOURCES.map((source) => source.name),
        kinds: registry.kinds(),
      })
    : undefined;
  // The log lines and the metrics of every recorded attempt: the workers' and manual sends'.
  const observer = observeAll(deliveryLogObserver(log), metrics?.deliveries);
  const deliveryWorker = config.workers
    ? new DeliveryWorker({
        store,
        registry,
        targets,
        planFollowUps,
        health: notifications,
        log,
        concurrency: config.delivery.concurrency,
        timeoutMs: config.delivery.timeoutMs,
        retry: createRetryPolicy(config.delivery.retrySchedule),
        observer,
      })
    : undefined;
  const worker = config.workers
    ? new EventWorker({
        store,
        normalizeOptions: normalizeOptionsFrom(config),
        log,
        afterCommit: probot ? handToProbot(probot, log) : undefined,
        planner: planner.plan,
        onDeliveries: () => deliveryWorker?.wake(),
        beforeBatch: () => notifications.refreshIfChanged(),
        onProcessed: metrics && ((processed) => metrics.eventsProcessed(processed)),
      })
    : undefined;
  const inbox = new InboxWriter(store, () => worker?.wake());
  // Build hook triggers are planned when they are taken (see build-hook-triggers.ts).
  const buildHookTriggers = new BuildHookTriggers({
    store,
    plan: async (event) => {
      await notifications
        .refreshIfChanged()
        .catch((error: unknown) =>
          log.warn({ err: error }, "build hook: could not refresh the notifications"),
        );
      return planner.plan(event);
    },
    origins: {
      github: `${config.github.protocol}://${config.github.host}`,
      gitlab: new URL(config.gitlab.url).origin,
    },
    onAccepted: () => deliveryWorker?.wake(),
  });
  const manual = new ManualDelivery({
    store,
    registry,
    targets,
    planFollowUps,
    health: notifications,
    timeoutMs: config.delivery.timeoutMs,
    wake: () => deliveryWorker?.wake(),
    observer,
  });
  const services = createServices({
    store,
    notifications,
    sources,
    manual,
    adminToken: config.adminToken,
  });
  const apiApp = createApiApp({ services, buildHooks, version: VERSION, log });
  const api = createApiHandler(apiApp, log);
  const web = createApiHandler(
    createWebApp({
      services,
      sources: sourceStates(config.sources),
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      openApi: openApiDocument(apiApp, VERSION),
      log,
    }),
    log,
  );
  const server = createHttpServer({
    config,
    store,
    inbox,
    log,
    version: VERSION,
    api,
    web,
    sources: (id) => sources.lookup(id),
    buildHooks: buildHookTriggers,
    metrics,
  });
  const retention = config.workers
    ? new LogRetention({ store, retentionMs: config.delivery.logRetentionMs, log })
    : undefined;

  return {
    server,
    store,
    worker,
    deliveryWorker,
    routing,
    registry,
    sources,
    metrics,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      worker?.start();
      await deliveryWorker?.start();
      // Other processes (PostgreSQL) may change notifications: catch up every few seconds.
      notifications.startPolling(store.engine === "postgres" ? 5000 : 60_000);
      // A source created, rotated or disabled through another process: seen within 2 s.
      sources.startPolling(store.engine === "postgres" ? 2000 : 60_000);
      retention?.start();
      return server.address() as AddressInfo;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      notifications.stop();
      sources.stop();
      await retention?.stop();
      await worker?.stop();
      await deliveryWorker?.stop();
      await store.close();
      outputs.close();
    },
  };
}

/** Start-up lines about the routing file and the outputs. */
export function describeRouting(shipcast: Shipcast): string[] {
  const { routing, registry } = shipcast;
  const lines = [
    routing.file
      ? `routing file ${routing.file}: ${routing.targets.size} targets, ${routing.routes.length} routes`
      : "routing file: none (create shipcast.yml or set SHIPCAST_CONFIG to route events to outputs)",
    `outputs: ${registry.kinds().join(", ")}`,
  ];
  for (const kind of [
    "email",
    "github-status",
    "github-comment",
    "gitlab-status",
    "gitlab-comment",
  ]) {
    const off = registry.offReason(kind);
    if (off) lines.push(`output ${kind}: off (${off})`);
  }
  return lines;
}

/** Start-up lines saying which sources are active and what enables the others. */
export function describeSources(config: Config): string[] {
  return sourceStates(config.sources).map((source) =>
    source.active
      ? `source ${source.name}: active at POST ${source.route}`
      : `source ${source.name}: off (set ${source.secretSetting} to enable POST ${source.route})`,
  );
}
