import { type Command, InvalidArgumentError, Option } from "commander";
import { ApiClient } from "./api-client.js";
import { type Output, processOutput } from "./output.js";

/** Where the CLI looks for a Shipcast when neither `--url` nor `SHIPCAST_URL` says. */
export const DEFAULT_URL = "http://localhost:3000";

/**
 * `--url`: a Shipcast's base URL (env SHIPCAST_URL). Commands that take a `--url` of their own
 * (a notification's) call it `--shipcast-url`.
 */
export function urlOption(flag: "--url" | "--shipcast-url" = "--url"): Option {
  return new Option(`${flag} <url>`, "the Shipcast's base URL")
    .env("SHIPCAST_URL")
    .default(DEFAULT_URL)
    .argParser(parseBaseUrl);
}

function parseBaseUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:/.test(value)) {
    throw new InvalidArgumentError("expected an http(s) URL such as http://localhost:3000");
  }
  return value;
}

/** `--json`: machine-readable output. */
export function jsonOption(): Option {
  return new Option("--json", "print JSON for scripts instead of tables");
}

/**
 * A subcommand that talks to a running Shipcast's management API: `--url` (or `urlFlag`),
 * `--token` (required, from the flag or SHIPCAST_TOKEN) and `--json`.
 */
export function apiCommand(
  parent: Command,
  name: string,
  description: string,
  urlFlag: "--url" | "--shipcast-url" = "--url",
): Command {
  return parent
    .command(name)
    .description(description)
    .addOption(urlOption(urlFlag))
    .addOption(
      new Option("--token <token>", "API token: SHIPCAST_ADMIN_TOKEN or one from `tokens create`")
        .env("SHIPCAST_TOKEN")
        .makeOptionMandatory(),
    )
    .addOption(jsonOption());
}

/** The API client and output a command's options ask for. */
export function apiContext(command: Command): { api: ApiClient; out: Output } {
  const { url, shipcastUrl, token, json } = command.opts<{
    url?: string;
    shipcastUrl?: string;
    token: string;
    json?: boolean;
  }>();
  const base = shipcastUrl ?? url ?? DEFAULT_URL;
  return { api: new ApiClient({ url: base, token }), out: processOutput(json === true) };
}

/** A positive whole number option (`--limit`), refused at parse time otherwise. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError("expected a positive whole number");
  }
  return parsed;
}
