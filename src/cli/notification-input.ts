/**
 * The body of a notification request from the command line: flags for the common fields, and
 * `--data` (JSON, or `@file.json`) for anything else. Flags win over `--data`; the server
 * validates the result and answers every problem by field.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";

/** The flags `notifications create` and `update` share. */
export interface NotificationFlags {
  description?: string;
  url?: string;
  events?: string;
  environmentTypes?: string;
  projectNames?: string;
  branches?: string;
  to?: string;
  secret?: string;
  jwsSecret?: string;
  standardWebhooksSecret?: string;
  header?: Record<string, string>;
  sslVerification?: boolean;
  data?: Record<string, unknown>;
}

/** `--data`: a JSON object, inline or `@path` to a file holding one. */
export function parseData(value: string): Record<string, unknown> {
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value.slice(1), "utf8");
    } catch (error) {
      throw new InvalidArgumentError(`cannot read ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidArgumentError("expected a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** `--header "Name: value"`, repeatable, collected into one object. */
export function collectHeader(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const colon = value.indexOf(":");
  if (colon <= 0) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

/** A comma-separated list; empty items are dropped, so "" is the empty list (every one). */
function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** The request body the flags describe: only what was given. */
export function notificationBody(flags: NotificationFlags): Record<string, unknown> {
  const body: Record<string, unknown> = { ...flags.data };
  const set = (name: string, value: unknown) => {
    if (value !== undefined) body[name] = value;
  };
  set("description", flags.description);
  set("url", flags.url);
  if (flags.events !== undefined) {
    set("events", flags.events.trim() === "all" ? "all" : list(flags.events));
  }
  if (flags.environmentTypes !== undefined) {
    set("environment_types", list(flags.environmentTypes));
  }
  if (flags.projectNames !== undefined) set("project_names", list(flags.projectNames));
  if (flags.branches !== undefined) set("branches", list(flags.branches));
  if (flags.to !== undefined) set("to", list(flags.to));
  set("secret", flags.secret);
  set("jws_secret", flags.jwsSecret);
  set("standard_webhooks_secret", flags.standardWebhooksSecret);
  set("headers", flags.header);
  set("ssl_verification", flags.sslVerification);
  return body;
}
