/**
 * The events of `npm run bench:delivery`: N signed Netlify `deploy_created` bodies derived from the
 * real fixture, the Slack bodies Shipcast will send for them, and the routing file.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";
import type { DeployEvent } from "../src/events/deploy-event.js";
import { isIgnored } from "../src/events/deploy-event.js";
import { defaultSubject } from "../src/notifiers/kit/notifier.js";
import { buildSlackMessage } from "../src/notifiers/slack/slack-message.js";
import { normalizeNetlify } from "../src/sources/netlify-normalize.js";

export const NETLIFY_PATH = "/api/netlify/webhooks";
export const FIXTURE = "test/fixtures/netlify/deploy_created.deploy-preview.json";

/** One event as sent to Shipcast, and what Shipcast will make of it. */
export interface BenchEvent {
  index: number;
  /** The JSON body, compact. */
  body: Buffer;
  /** `X-Webhook-Signature`: JWS HS256, `iss: netlify`, `sha256` of the body. */
  signature: string;
  event: DeployEvent;
  /** The ordering subject of its deliveries (project, environment, PR). */
  subject: string;
  /** `JSON.stringify(buildSlackMessage(event))`: the body each target receives. */
  slackBody: string;
}

/** Netlify's JWS, as Netlify signs it (the same scheme as test/helpers/signing.ts). */
async function sign(secret: Uint8Array, body: Buffer): Promise<string> {
  const sha256 = createHash("sha256").update(body).digest("hex");
  return new SignJWT({ sha256 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(secret);
}

/**
 * Builds `count` events from the fixture. Each has its own deploy `id` (ingest dedupes on deploy
 * id + event name) and build id; `review_id` (the PR) cycles through `subjects` values, which is
 * what spreads them over ordering subjects: the fixture's `commit_url` names a GitHub repository,
 * so the subject's project part is that repository whatever the site `name`. `updated_at` grows
 * by 1 ms per event, so event order within a subject is send order.
 */
export async function buildEvents(
  root: string,
  secret: string,
  count: number,
  subjects: number,
): Promise<BenchEvent[]> {
  const fixture = JSON.parse(readFileSync(`${root}/${FIXTURE}`, "utf8")) as Record<string, unknown>;
  const key = new TextEncoder().encode(secret);
  const base = Date.parse(String(fixture.updated_at));
  const events: BenchEvent[] = [];
  for (let index = 0; index < count; index++) {
    const pr = 1 + (index % subjects);
    const payload = {
      ...fixture,
      id: `5e16ac7f${index.toString(16).padStart(16, "0")}`,
      build_id: `5e16ac80${index.toString(16).padStart(16, "0")}`,
      review_id: pr,
      review_url: `https://github.com/jd-ftf/test/pull/${pr}`,
      deploy_ssl_url: `https://deploy-preview-${pr}--dazzling-almeida-67ef75.netlify.com`,
      updated_at: new Date(base + index).toISOString(),
    };
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const result = normalizeNetlify({ headers: {}, payload: JSON.parse(body.toString("utf8")) });
    if (isIgnored(result)) throw new Error(`bench event ${index} was ignored: ${result.reason}`);
    events.push({
      index,
      body,
      signature: await sign(key, body),
      event: result,
      subject: defaultSubject(result),
      slackBody: JSON.stringify(buildSlackMessage(result)),
    });
  }
  return events;
}

/** The target names, `bench-0` … `bench-<M-1>`. */
export function targetNames(targets: number): string[] {
  return Array.from({ length: targets }, (_, i) => `bench-${i}`);
}

/** The receiver path of target `i`. */
export function hookPath(i: number): string {
  return `/hook/${i}`;
}

/** `shipcast.yml`: M slack targets on the receiver, one route (every event kind) to all of them. */
export function routingFile(receiverPort: number, targets: number): string {
  const names = targetNames(targets);
  const lines = ["targets:"];
  names.forEach((name, i) => {
    lines.push(`  ${name}: { kind: slack, url: "http://127.0.0.1:${receiverPort}${hookPath(i)}" }`);
  });
  lines.push("routes:", `  - notify: [${names.join(", ")}]`, "");
  return lines.join("\n");
}
