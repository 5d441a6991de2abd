import { type Command, InvalidArgumentError, Option } from "commander";
import { DEPLOY_EVENT_KINDS } from "../events/deploy-event.js";
import { apiCommand, apiContext } from "./client-options.js";
import { type ManualAttempt, printAttempt } from "./deliveries-commands.js";
import { UsageError } from "./exit-codes.js";
import {
  collectHeader,
  type NotificationFlags,
  notificationBody,
  parseData,
} from "./notification-input.js";
import { type Column, fields, type Output, type Page, printPage, table } from "./output.js";

/** A notification as the API shows it (secrets only as `…_set`). */
interface NotificationView {
  id: string;
  kind: string;
  description: string;
  enabled: boolean;
  state: string;
  read_only: boolean;
  source: string;
  events: "all" | string[];
  environment_types: string[];
  project_names: string[];
  branches: string[];
  url?: string;
  headers?: Record<string, string>;
  secret_set?: boolean;
  jws_secret_set?: boolean;
  standard_webhooks_secret_set?: boolean;
  ssl_verification?: boolean;
  to?: string[];
  consecutive_failures: number;
  disabled_until: string | null;
  disabled_reason: string | null;
  created_at: string | null;
  updated_at: string | null;
  state_changes?: Array<{ at: string; state: string; reason: string; actor: string }>;
}

const NOTIFICATION_KINDS = ["webhook", "slack", "email"];

const notificationColumns: Column<NotificationView>[] = [
  { heading: "ID", value: (n) => n.id, max: 30 },
  { heading: "KIND", value: (n) => n.kind },
  { heading: "STATE", value: (n) => n.state },
  { heading: "SOURCE", value: (n) => n.source },
  { heading: "EVENTS", value: (n) => n.events, max: 40 },
  { heading: "TO", value: (n) => n.url ?? n.to, max: 50 },
  { heading: "DESCRIPTION", value: (n) => n.description, max: 40 },
];

/** `shipcast notifications list|show|create|update|delete|test|replay|enable`. */
export function notificationsCommand(program: Command): Command {
  const notifications = program
    .command("notifications")
    .description("notification targets: API-managed ones, and the routing file's (read-only)");

  apiCommand(notifications, "list", "list notifications and the routing file's targets").action(
    async (_options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      printPage(
        out,
        await api.get<Page<NotificationView>>("/api/v1/notifications"),
        notificationColumns,
      );
    },
  );

  apiCommand(notifications, "show", "one notification, with its recent changes of state")
    .argument("<id>", "notification id (ntf_…) or routing-file target name")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      printNotification(out, await api.get<NotificationView>(notificationPath(id)));
    });

  withNotificationFlags(
    apiCommand(notifications, "create", "create a notification", "--shipcast-url").addOption(
      new Option("--kind <kind>", "what it sends")
        .choices(NOTIFICATION_KINDS)
        .makeOptionMandatory(),
    ),
  )
    .addHelpText(
      "after",
      `
Examples:
  shipcast notifications create --kind slack --url https://hooks.slack.com/services/T0/B0/X \\
    --events deploy.failed --environment-types production --description "#deploys"
  shipcast notifications create --kind webhook --url https://tracker.example.com/hooks \\
    --secret "$(openssl rand -hex 32)" --header "X-Team: web" --branches "main,release/*"
  shipcast notifications create --kind email --to ops@example.com --data @more-settings.json`,
    )
    .action(async (options: NotificationFlags & { kind: string }, command: Command) => {
      const { api, out } = apiContext(command);
      const body = { ...notificationBody(options), kind: options.kind };
      printNotification(out, await api.post<NotificationView>("/api/v1/notifications", body));
    });

  withNotificationFlags(
    apiCommand(
      notifications,
      "update",
      "change a notification: only the fields given change",
      "--shipcast-url",
    ),
  )
    .argument("<id>", "notification id (ntf_…)")
    .addHelpText(
      "after",
      `
A secret is removed with --data '{"secret": null}'; --data '{"enabled": false}' disables.`,
    )
    .action(async (id: string, options: NotificationFlags, command: Command) => {
      const { api, out } = apiContext(command);
      const body = notificationBody(options);
      if (Object.keys(body).length === 0) {
        throw new UsageError("nothing to change: give a flag or --data (see --help)");
      }
      printNotification(out, await api.patch<NotificationView>(notificationPath(id), body));
    });

  apiCommand(notifications, "delete", "delete a notification (its delivery log stays)")
    .argument("<id>", "notification id (ntf_…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      await api.delete(notificationPath(id));
      if (out.json) out.data({ deleted: id });
      else out.line(`deleted ${id}`);
    });

  apiCommand(notifications, "test", "send a sample event now and show the attempt")
    .argument("<id>", "notification id (ntf_…) or routing-file target name")
    .addOption(
      new Option("--event <kind>", "kind of the sample event")
        .choices(DEPLOY_EVENT_KINDS)
        .default("deploy.succeeded"),
    )
    .action(async (id: string, options: { event: string }, command: Command) => {
      const { api, out } = apiContext(command);
      const attempt = await api.post<ManualAttempt>(`${notificationPath(id)}/test`, {
        event: options.event,
      });
      printAttempt(out, attempt);
    });

  apiCommand(notifications, "replay", "re-queue the notification's failed deliveries since a time")
    .argument("<id>", "notification id (ntf_…) or routing-file target name")
    .requiredOption(
      "--since <time>",
      "an ISO 8601 time (2026-11-23T08:00:00Z) or how long ago (30m, 2h, 1d)",
      (value: string) => parseSince(value),
    )
    .action(async (id: string, options: { since: string }, command: Command) => {
      const { api, out } = apiContext(command);
      const result = await api.post<{ requeued: number; since: string }>(
        `${notificationPath(id)}/replay`,
        undefined,
        { since: options.since },
      );
      if (out.json) return out.data(result);
      out.line(`re-queued ${result.requeued} failed deliveries since ${result.since}`);
    });

  apiCommand(
    notifications,
    "enable",
    "re-enable a paused or disabled notification (resets its failure count)",
  )
    .argument("<id>", "notification id (ntf_…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      printNotification(
        out,
        await api.patch<NotificationView>(notificationPath(id), { enabled: true }),
      );
    });

  return notifications;
}

function notificationPath(id: string): string {
  return `/api/v1/notifications/${encodeURIComponent(id)}`;
}

/** The flags `create` and `update` share. */
function withNotificationFlags(command: Command): Command {
  return command
    .option("--description <text>", "what it is for")
    .option("--url <url>", "receiver URL (webhook) or incoming-webhook URL (slack)")
    .option("--to <addresses>", "email recipients, comma-separated")
    .option(
      "--events <kinds>",
      `"all" or kinds, comma-separated (${DEPLOY_EVENT_KINDS.join(", ")})`,
    )
    .option(
      "--environment-types <types>",
      "PRODUCTION, STAGING, DEVELOPMENT, PREVIEW, comma-separated (empty: every one)",
    )
    .option("--project-names <patterns>", "project name patterns, comma-separated, * wildcard")
    .option("--branches <patterns>", "branch patterns, comma-separated, * wildcard")
    .option("--secret <secret>", "webhook HMAC secret (X-Hub-Signature-256)")
    .option("--jws-secret <secret>", "webhook JWS secret (X-Nf-Sign)")
    .option("--standard-webhooks-secret <whsec>", "webhook Standard Webhooks secret (whsec_…)")
    .option("--header <header>", 'custom webhook header "Name: value", repeatable', collectHeader)
    .option("--ssl-verification", "verify the receiver's TLS certificate (webhook)")
    .option("--no-ssl-verification", "do not verify the receiver's TLS certificate (webhook)")
    .option("--data <json>", "more fields as a JSON object, or @file.json", parseData);
}

const AGO = /^(\d+)\s*(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a time as given, or "30m"-style durations turned into the time that long ago. */
export function parseSince(value: string, now = Date.now()): string {
  const ago = AGO.exec(value.trim());
  if (ago) {
    return new Date(now - Number(ago[1]) * (UNIT_MS[ago[2] as string] as number)).toISOString();
  }
  if (Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError("expected an ISO 8601 time or a duration such as 2h");
  }
  return value;
}

function printNotification(out: Output, n: NotificationView): void {
  if (out.json) {
    out.data(n);
    return;
  }
  const secrets = [
    n.secret_set ? "secret" : "",
    n.jws_secret_set ? "jws_secret" : "",
    n.standard_webhooks_secret_set ? "standard_webhooks_secret" : "",
  ].filter(Boolean);
  for (const line of fields([
    ["id", n.id],
    ["kind", n.kind],
    ["description", n.description || undefined],
    ["state", n.state + (n.read_only ? ` (read-only: ${n.source})` : "")],
    ["enabled", n.enabled],
    ["url", n.url],
    ["to", n.to],
    [
      "headers",
      n.headers && Object.keys(n.headers).length > 0 ? Object.keys(n.headers) : undefined,
    ],
    ["secrets set", n.kind === "webhook" ? secrets : undefined],
    ["ssl verification", n.ssl_verification],
    ["events", n.events],
    ["environment types", n.environment_types],
    ["project names", n.project_names],
    ["branches", n.branches],
    ["failures", n.consecutive_failures],
    ["disabled until", n.disabled_until ?? undefined],
    ["disabled reason", n.disabled_reason ?? undefined],
    ["created", n.created_at ?? undefined],
    ["updated", n.updated_at ?? undefined],
  ])) {
    out.line(line);
  }
  if (n.state_changes && n.state_changes.length > 0) {
    out.line();
    out.line("state changes:");
    const columns: Column<NonNullable<NotificationView["state_changes"]>[number]>[] = [
      { heading: "AT", value: (c) => c.at },
      { heading: "STATE", value: (c) => c.state },
      { heading: "BY", value: (c) => c.actor },
      { heading: "REASON", value: (c) => c.reason, max: 80 },
    ];
    for (const line of table(n.state_changes, columns)) out.line(`  ${line}`);
  }
}
