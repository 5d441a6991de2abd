import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

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
