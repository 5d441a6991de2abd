import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** Where all three servers take GitHub webhooks (Probot's default path, and Shipcast's). */
export const WEBHOOK_PATH = "/api/github/webhooks";

/** The event every request of the benchmark carries. */
export const EVENT_NAME = "deployment_status";

interface ExampleGroup {
  name: string;
  examples: unknown[];
}

/** A real `deployment_status` payload from `@octokit/webhooks-examples`, as compact JSON. */
export function loadDeploymentStatusBody(): Buffer {
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/webhooks-examples/api.github.com/index.json");
  const groups = JSON.parse(readFileSync(file, "utf8")) as ExampleGroup[];
  const example = groups.find((group) => group.name === EVENT_NAME)?.examples[0];
  if (example === undefined) throw new Error(`no ${EVENT_NAME} example in ${file}`);
  return Buffer.from(JSON.stringify(example), "utf8");
}

/** GitHub's `X-Hub-Signature-256` for a body: `sha256=` + hex HMAC-SHA256 of the raw bytes. */
export function signBody(secret: string, body: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
