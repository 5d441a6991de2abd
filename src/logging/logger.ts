import { type DestinationStream, type Logger, pino } from "pino";
import PinoPretty from "pino-pretty";

export type { Logger };

/** How log lines are written: for people (`pretty`) or for a log pipeline (`json`). */
export type LogFormat = "pretty" | "json";

/**
 * The objects that carry the facts of Shipcast's own log lines, one per subject (`webhook`,
 * `event`, `attempt`, `notification`, `startup`). In JSON they are there to query
 * (`.webhook.status`); the message says the same for people, so pretty lines leave them out.
 */
export const LOG_FACT_KEYS = ["webhook", "event", "attempt", "notification", "startup"] as const;

/**
 * The process logger. Header paths that carry secrets are redacted as a second line of defence:
 * the code never logs secrets on purpose.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: "shipcast",
      level,
      redact: {
        paths: [
          "headers.authorization",
          'headers["x-gitlab-token"]',
          'headers["x-hub-signature-256"]',
          'headers["x-webhook-signature"]',
          'headers["x-nf-sign"]',
          "secret",
          "privateKey",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/**
 * The logger of `shipcast serve`: JSON lines, or pretty ones when `format` says so or, unset,
 * when standard output is a terminal. Pretty lines are coloured only on a terminal, so that
 * `LOG_FORMAT=pretty` writes the same text into a pipe or a file whatever runs it.
 */
export function createProcessLogger(
  level: string,
  format: LogFormat | undefined,
  output: NodeJS.WriteStream = process.stdout,
): Logger {
  const resolved = format ?? (output.isTTY ? "pretty" : "json");
  if (resolved === "json") {
    return createLogger(level, output === process.stdout ? undefined : output);
  }
  return createLogger(level, prettyStream(output.isTTY === true && !process.env.NO_COLOR, output));
}

/**
 * pino-pretty in this process (no worker thread), writing synchronously so that the last lines
 * before an exit are not lost: `12:04:31.112 INFO: message`, facts left to the message.
 */
export function prettyStream(
  colorize: boolean,
  destination: NodeJS.WritableStream = process.stdout,
): DestinationStream {
  return PinoPretty({
    colorize,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: ["pid", "hostname", "name", ...LOG_FACT_KEYS].join(","),
    sync: true,
    destination,
  });
}
