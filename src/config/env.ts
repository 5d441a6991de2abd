import { readFileSync } from "node:fs";
import { z } from "zod";
import {
  DEFAULT_RETRY_SCHEDULE,
  parseDuration,
  parseDurationList,
} from "../delivery/retry-policy.js";
import { parseCidrList } from "../outbound/network-guard.js";
import type { StoreLocation } from "../store/database.js";

/** GitHub caps webhook payloads at 25 MB; so do we, unless told otherwise. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
export const DEFAULT_DATABASE_URL = "sqlite:./data/shipcast.db";

/**
 * Reads a `DATABASE_URL`: `sqlite:<path>` (`sqlite::memory:` for a database in memory) or
 * `postgres://…` / `postgresql://…`. Undefined when it names neither. The one place that
 * interprets the variable; everything else takes the typed location.
 */
export function parseDatabaseUrl(text: string): StoreLocation | undefined {
  if (text.startsWith("sqlite:")) {
    const path = text.slice("sqlite:".length);
    return path === "" ? undefined : { engine: "sqlite", path };
  }
  if (/^postgres(ql)?:\/\//.test(text)) return { engine: "postgres", url: text };
  return undefined;
}

/**
 * The store for people and logs: `sqlite (./data/shipcast.db)`, or `postgres (postgres://user@
 * host:5432/db)` without the password and the query string (which may carry one too).
 */
export function describeStoreLocation(location: StoreLocation): string {
  if (location.engine === "sqlite") return `sqlite (${location.path})`;
  if (!URL.canParse(location.url)) return "postgres";
  const url = new URL(location.url);
  const user = url.username ? `${url.username}@` : "";
  return `postgres (${url.protocol}//${user}${url.host}${url.pathname})`;
}

const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const booleanFlag = (defaultValue: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return defaultValue;
      const normalized = value.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(normalized)) return true;
      if (["0", "false", "no", "off"].includes(normalized)) return false;
      ctx.addIssue({ code: "custom", message: `expected true or false, got "${value}"` });
      return z.NEVER;
    });

const positiveInteger = (defaultValue: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return defaultValue;
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed) || parsed <= 0) {
        ctx.addIssue({ code: "custom", message: `expected a positive integer, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

/**
 * Every environment variable Shipcast reads, with its default. `.env.example` lists the same
 * names with a comment each; keep the two together.
 */
export const envSchema = z.object({
  /** Port the HTTP server listens on. Default 3000. */
  PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return 3000;
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        ctx.addIssue({ code: "custom", message: `expected a port number 0-65535, got "${value}"` });
        return z.NEVER;
      }
      return port;
    }),
  /** Interface to listen on. Default: all interfaces, like Probot. */
  HOST: optionalString,
  /** `sqlite:<path>` (default `sqlite:./data/shipcast.db`) or `postgres://…`. */
  DATABASE_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const location = parseDatabaseUrl(
        value === undefined || value.trim() === "" ? DEFAULT_DATABASE_URL : value,
      );
      if (location) return location;
      ctx.addIssue({
        code: "custom",
        message: "expected sqlite:<path> or postgres://user:password@host:port/database",
      });
      return z.NEVER;
    }),
  /** Enables the GitHub source: the GitHub App's (or repository/organization webhook's) secret. */
  WEBHOOK_SECRET: optionalSecret,
  /** Enables the GitLab source: the hook's secret token, sent back in X-Gitlab-Token. */
  GITLAB_WEBHOOK_SECRET: optionalSecret,
  /** Enables the Netlify source: the notification's "JWS secret token". */
  NETLIFY_JWS_SECRET: optionalSecret,
  /** GitHub App id; with a private key, Shipcast runs as the GitHub App. */
  APP_ID: optionalString,
  /** The GitHub App's private key (PEM; `\n` escapes allowed). */
  PRIVATE_KEY: optionalSecret,
  /** Path to the GitHub App's private key file, instead of PRIVATE_KEY. */
  PRIVATE_KEY_PATH: optionalString,
  /** A smee.io channel to forward to this server, for local development. */
  WEBHOOK_PROXY_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\//.test(value),
    { message: "expected an http(s) URL such as https://smee.io/abc123" },
  ),
  /** GitHub Enterprise Server host (Probot's setting), e.g. `ghe.example.com`. */
  GHE_HOST: optionalString,
  /** Protocol for GHE_HOST. Default https. */
  GHE_PROTOCOL: z
    .enum(["http", "https"])
    .optional()
    .transform((value) => value ?? "https"),
  /** GitLab instance URL. Default https://gitlab.com. */
  GITLAB_URL: z
    .string()
    .optional()
    .transform((value) =>
      value === undefined || value.trim() === "" ? "https://gitlab.com" : value,
    )
    .refine((value) => URL.canParse(value) && /^https?:/.test(value), {
      message: "expected an http(s) URL such as https://gitlab.example.com",
    }),
  /**
   * GitLab access token (scope `api`) for commit statuses and merge-request notes on GitLab
   * repositories. Those outputs are off while unset.
   */
  GITLAB_TOKEN: optionalSecret,
  /** Largest accepted webhook body in bytes. Default 26214400 (25 MB). */
  MAX_PAYLOAD_BYTES: positiveInteger(DEFAULT_MAX_PAYLOAD_BYTES),
  // --- Limits against unauthenticated load (see httpLimits below and README "Limits and hardening").
  /**
   * Bytes of webhook bodies held in memory at once across all requests; a request that would go
   * beyond is answered 503 with Retry-After. Default 4 × MAX_PAYLOAD_BYTES.
   */
  MAX_INFLIGHT_BYTES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return undefined;
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed) || parsed <= 0) {
        ctx.addIssue({ code: "custom", message: `expected a positive integer, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    }),
  /** Time a client has to send its request headers, in milliseconds. Default 10000. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInteger(10_000),
  /** Time a client has to send its whole request, in milliseconds. Default 60000. */
  HTTP_REQUEST_TIMEOUT_MS: positiveInteger(60_000),
  /**
   * Idle time after which a keep-alive connection is closed, in milliseconds. Default 65000 (above
   * the 60 s idle timeout of common load balancers, which must close first).
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInteger(65_000),
  /** Open connections at once; more are closed on arrival. Default 1000. */
  HTTP_MAX_CONNECTIONS: positiveInteger(1000),
  /** Open connections at once from one address (IPv6: one /64). Default 100. */
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: positiveInteger(100),
  /**
   * The origin senders reach this Shipcast at (`https://shipcast.example.com`), shown in the URLs
   * of sources. Default: the host each API request was sent to.
   */
  PUBLIC_URL: optionalString.refine(
    (value) => value === undefined || (URL.canParse(value) && /^https?:\/\//.test(value)),
    { message: "expected an http(s) URL such as https://shipcast.example.com" },
  ),
  /** Bearer token for the management API; the API is off while unset. */
  SHIPCAST_ADMIN_TOKEN: optionalSecret.refine(
    (value) => value === undefined || value.length >= 16,
    {
      message: "must be at least 16 characters (try: openssl rand -hex 32)",
    },
  ),
  /**
   * Believe `X-Forwarded-Proto` and `X-Forwarded-Host` from a reverse proxy in front of
   * Shipcast: the dashboard then marks its cookie `Secure` behind HTTPS and checks the `Origin`
   * of forms against the proxy's host. Default false (only the socket says what it is).
   */
  SHIPCAST_TRUST_PROXY: booleanFlag(false),
  /** Run the background workers in this process. Default true. */
  SHIPCAST_WORKERS: booleanFlag(true),
  /** The routing file. Default: shipcast.yml in the working directory, when it exists. */
  SHIPCAST_CONFIG: optionalString,
  /** Deliveries in flight at once per process. Default 8 (outputs wait on the network). */
  DELIVERY_CONCURRENCY: positiveInteger(8),
  /** Per-attempt timeout of a delivery in milliseconds. Default 10000. */
  DELIVERY_TIMEOUT_MS: positiveInteger(10_000),
  /** Delays between attempts, comma-separated. Default 5s,5m,30m,2h,5h,10h,10h. */
  DELIVERY_RETRY_SCHEDULE: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value === undefined || value.trim() === "" ? DEFAULT_RETRY_SCHEDULE : value;
      try {
        return parseDurationList(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * How long the delivery log keeps attempts (request and response) and the payloads of finished
   * events; the running server prunes older ones. Default 7d.
   */
  DELIVERY_LOG_RETENTION: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value === undefined || value.trim() === "" ? "7d" : value.trim();
      try {
        return parseDuration(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Lets outgoing requests to user-supplied URLs reach loopback, private, link-local, CGNAT and
   * unique-local addresses (self-hosted receivers). Cloud metadata addresses stay blocked.
   * Default false.
   */
  ALLOW_LOCAL_NETWORK: booleanFlag(false),
  /**
   * Comma-separated CIDR ranges opened for outgoing requests although they are private
   * (`10.1.0.0/16,fd00:1::/64`), instead of ALLOW_LOCAL_NETWORK's all. Default: none.
   */
  ALLOWED_NETWORKS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return [];
      try {
        return parseCidrList(value).map((cidr) => cidr.text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Key that encrypts secrets stored through the API (AES-256-GCM): 32 bytes, base64 or hex.
   * Generate one with `openssl rand -base64 32`. Without it, the API refuses to store secrets.
   */
  SHIPCAST_ENCRYPTION_KEY: optionalSecret.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    const key = /^[0-9a-f]{64}$/i.test(trimmed)
      ? Buffer.from(trimmed, "hex")
      : Buffer.from(trimmed, "base64");
    if (
      key.length !== 32 ||
      (!/^[0-9a-f]{64}$/i.test(trimmed) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed))
    ) {
      ctx.addIssue({
        code: "custom",
        message: "expected 32 bytes as base64 or hex (generate one with: openssl rand -base64 32)",
      });
      return z.NEVER;
    }
    return key;
  }),
  /** SMTP server for email targets: smtp://user:pass@host:587 (STARTTLS) or smtps://… (TLS). */
  SMTP_URL: optionalSecret.refine((value) => value === undefined || /^smtps?:\/\//.test(value), {
    message: "expected smtp://user:password@host:587 or smtps://user:password@host:465",
  }),
  /** Sender of email notifications. Default "Shipcast <shipcast@localhost>". */
  EMAIL_FROM: z
    .string()
    .optional()
    .transform((value) =>
      value === undefined || value.trim() === "" ? "Shipcast <shipcast@localhost>" : value.trim(),
    ),
  /** pino log level. Default info. */
  LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .optional()
    .transform((value) => value ?? "info"),
  // --- Operating: logs and metrics (README "Logs" and "Metrics").
  /**
   * `pretty` (lines for people, pino-pretty) or `json` (one JSON object a line, for log
   * pipelines). Default: pretty when standard output is a terminal, JSON otherwise.
   */
  LOG_FORMAT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim().toLowerCase();
      if (text === undefined || text === "") return undefined;
      if (text === "pretty" || text === "json") return text;
      ctx.addIssue({ code: "custom", message: `expected pretty or json, got "${value}"` });
      return z.NEVER;
    }),
  /**
   * Bearer token that Prometheus presents to `GET /metrics`; the endpoint is off (404) while
   * unset.
   */
  METRICS_TOKEN: optionalSecret.refine((value) => value === undefined || value.length >= 16, {
    message: "must be at least 16 characters (try: openssl rand -hex 32)",
  }),
});

export type Env = z.output<typeof envSchema>;

/** The validated configuration the rest of the program reads. */
export interface Config {
  port: number;
  host: string | undefined;
  /** DATABASE_URL, parsed. */
  database: StoreLocation;
  maxPayloadBytes: number;
  adminToken: string | undefined;
  /** SHIPCAST_TRUST_PROXY: believe X-Forwarded-Proto and X-Forwarded-Host. */
  trustProxy: boolean;
  /** PUBLIC_URL without a trailing slash: the origin shown in sources' URLs. */
  publicUrl: string | undefined;
  workers: boolean;
  logLevel: Env["LOG_LEVEL"];
  /** LOG_FORMAT; undefined: pretty on a terminal, JSON otherwise. */
  logFormat: "pretty" | "json" | undefined;
  /** METRICS_TOKEN: `GET /metrics` is served only when set. */
  metricsToken: string | undefined;
  sources: {
    github: { secret: string | undefined };
    gitlab: { secret: string | undefined };
    netlify: { secret: string | undefined };
  };
  githubApp: { appId: string; privateKey: string } | undefined;
  webhookProxyUrl: string | undefined;
  github: { host: string; protocol: "http" | "https"; apiBaseUrl: string };
  gitlab: { url: string; token: string | undefined };
  /** Explicit routing file path (SHIPCAST_CONFIG), else shipcast.yml in the working directory. */
  routingFile: string | undefined;
  delivery: {
    concurrency: number;
    timeoutMs: number;
    retrySchedule: number[];
    /** DELIVERY_LOG_RETENTION in milliseconds. */
    logRetentionMs: number;
  };
  /** The network guard's openings for outgoing requests to user-supplied URLs. */
  network: { allowLocal: boolean; allowedNetworks: string[] };
  /** SHIPCAST_ENCRYPTION_KEY: the 32-byte key for secrets at rest, when set. */
  encryptionKey: Buffer | undefined;
  email: { smtpUrl: string | undefined; from: string };
  /** Limits on what clients may hold: bytes buffered, time, connections. */
  limits: HttpLimits;
}

/** The server's limits against unauthenticated load, from the HTTP_* and MAX_INFLIGHT_* settings. */
export interface HttpLimits {
  /** MAX_INFLIGHT_BYTES: body bytes buffered at once across all requests. */
  maxInflightBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** Raised when the environment is invalid; the message lists every problem by variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validates the environment and derives the configuration. Throws a `ConfigError` naming every
 * bad variable, so a misconfigured server refuses to start instead of misbehaving later.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const githubHost = e.GHE_HOST ?? "github.com";
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL,
    maxPayloadBytes: e.MAX_PAYLOAD_BYTES,
    adminToken: e.SHIPCAST_ADMIN_TOKEN,
    trustProxy: e.SHIPCAST_TRUST_PROXY,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    workers: e.SHIPCAST_WORKERS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    metricsToken: e.METRICS_TOKEN,
    sources: {
      github: { secret: e.WEBHOOK_SECRET },
      gitlab: { secret: e.GITLAB_WEBHOOK_SECRET },
      netlify: { secret: e.NETLIFY_JWS_SECRET },
    },
    githubApp: githubAppConfig(e),
    webhookProxyUrl: e.WEBHOOK_PROXY_URL,
    github: {
      host: githubHost,
      protocol: e.GHE_PROTOCOL,
      apiBaseUrl: e.GHE_HOST
        ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/v3`
        : "https://api.github.com",
    },
    gitlab: { url: e.GITLAB_URL.replace(/\/+$/, ""), token: e.GITLAB_TOKEN },
    routingFile: e.SHIPCAST_CONFIG,
    delivery: {
      concurrency: e.DELIVERY_CONCURRENCY,
      timeoutMs: e.DELIVERY_TIMEOUT_MS,
      retrySchedule: e.DELIVERY_RETRY_SCHEDULE,
      logRetentionMs: e.DELIVERY_LOG_RETENTION,
    },
    network: { allowLocal: e.ALLOW_LOCAL_NETWORK, allowedNetworks: e.ALLOWED_NETWORKS },
    encryptionKey: e.SHIPCAST_ENCRYPTION_KEY,
    email: { smtpUrl: e.SMTP_URL, from: e.EMAIL_FROM },
    limits: httpLimits(e),
  };
}

/** The HTTP limits, with the checks that relate one setting to another. */
function httpLimits(e: Env): HttpLimits {
  const limits: HttpLimits = {
    maxInflightBytes: e.MAX_INFLIGHT_BYTES ?? 4 * e.MAX_PAYLOAD_BYTES,
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  };
  const problems: string[] = [];
  if (limits.maxInflightBytes < e.MAX_PAYLOAD_BYTES) {
    problems.push(
      `MAX_INFLIGHT_BYTES: must be at least MAX_PAYLOAD_BYTES (${e.MAX_PAYLOAD_BYTES}), or a body of the largest accepted size could never be read`,
    );
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  if (limits.maxConnectionsPerAddress > limits.maxConnections) {
    problems.push(
      `HTTP_MAX_CONNECTIONS_PER_ADDRESS: must not exceed HTTP_MAX_CONNECTIONS (${limits.maxConnections})`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return limits;
}

function githubAppConfig(e: Env): Config["githubApp"] {
  const hasKey = e.PRIVATE_KEY !== undefined || e.PRIVATE_KEY_PATH !== undefined;
  if (e.APP_ID === undefined && !hasKey) return undefined;
  if (e.APP_ID === undefined) {
    throw new ConfigError(
      "Invalid configuration:\n  APP_ID: required when PRIVATE_KEY or PRIVATE_KEY_PATH is set",
    );
  }
  if (!/^\d+$/.test(e.APP_ID)) {
    throw new ConfigError(`Invalid configuration:\n  APP_ID: expected a number, got "${e.APP_ID}"`);
  }
  if (!hasKey) {
    throw new ConfigError(
      "Invalid configuration:\n  PRIVATE_KEY: required with APP_ID (or set PRIVATE_KEY_PATH)",
    );
  }
  let privateKey: string;
  if (e.PRIVATE_KEY !== undefined) {
    privateKey = e.PRIVATE_KEY.replace(/\\n/g, "\n");
  } else {
    try {
      privateKey = readFileSync(e.PRIVATE_KEY_PATH as string, "utf8");
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n  PRIVATE_KEY_PATH: cannot read ${e.PRIVATE_KEY_PATH}: ${(error as Error).message}`,
      );
    }
  }
  if (!privateKey.includes("PRIVATE KEY-----")) {
    throw new ConfigError(
      "Invalid configuration:\n  PRIVATE_KEY: not a PEM private key (expected -----BEGIN … PRIVATE KEY-----)",
    );
  }
  return { appId: e.APP_ID, privateKey };
}
