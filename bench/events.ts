/**
 * The events the delivery benchmark and the chaos run send: N signed Netlify `deploy_created`
 * bodies derived from the real fixture, and the routing file that sends them to signed webhook
 * targets on the bench's receiver.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { ROOT } from "./processes.js";

export const NETLIFY_PATH = "/api/netlify/webhooks";
export const FIXTURE = "test/fixtures/netlify/deploy_created.deploy-preview.json";

/** One event as sent to Shipcast. */
export interface BenchEvent {
  index: number;
  /** The JSON body, compact. */
  body: Buffer;
  /** `X-Webhook-Signature`: JWS HS256, `iss: netlify`, `sha256` of the body. */
  signature: string;
}

/** Netlify's JWS, as Netlify signs it (the same scheme as test/helpers/signing.ts). */
async function sign(key: Uint8Array, body: Buffer): Promise<string> {
  const sha256 = createHash("sha256").update(body).digest("hex");
  return new SignJWT({ sha256 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(key);
}

/** The fixture, parsed. */
export function netlifyFixture(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, FIXTURE), "utf8")) as Record<string, unknown>;
}

/**
 * The fixture as the `index`th event: its own deploy `id` (ingest dedupes on deploy id + event
 * name) and build id; `review_id` (the PR) is `1 + index % subjects`, which spreads the events
 * over ordering subjects (the fixture's `commit_url` names a GitHub repository, so the subject's
 * project part is that repository). `updated_at` grows by 1 ms per event, so event order within
 * a subject is send order. `run` keeps the deploy ids of two runs on one store apart.
 */
export function netlifyPayload(
  fixture: Record<string, unknown>,
  index: number,
  subjects: number,
  run = 0,
): Record<string, unknown> {
  const pr = 1 + (index % subjects);
  const id = (run * 1e9 + index).toString(16).padStart(16, "0");
  return {
    ...fixture,
    id: `5e16ac7f${id}`,
    build_id: `5e16ac80${id}`,
    review_id: pr,
    review_url: `https://github.com/jd-ftf/test/pull/${pr}`,
    deploy_ssl_url: `https://deploy-preview-${pr}--dazzling-almeida-67ef75.netlify.com`,
    updated_at: new Date(Date.parse(String(fixture.updated_at)) + index).toISOString(),
  };
}

/** Builds and signs `count` events (see `netlifyPayload`). */
export async function buildEvents(
  secret: string,
  count: number,
  subjects: number,
  run = 0,
): Promise<BenchEvent[]> {
  const fixture = netlifyFixture();
  const key = new TextEncoder().encode(secret);
  const events: BenchEvent[] = [];
  for (let index = 0; index < count; index++) {
    const body = Buffer.from(JSON.stringify(netlifyPayload(fixture, index, subjects, run)), "utf8");
    events.push({ index, body, signature: await sign(key, body) });
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

/**
 * `shipcast.yml`: `targets` webhook targets on the receiver, each signing with `secret`
 * (`X-Hub-Signature-256`), and one route (every event kind) to all of them. `idle` adds targets
 * that no route names (the backlog's), at `/idle/<i>`.
 */
export function routingFile(
  receiverPort: number,
  targets: number,
  secret: string,
  idle: string[] = [],
): string {
  const names = targetNames(targets);
  const target = (name: string, path: string) =>
    `  ${name}: { kind: webhook, url: "http://127.0.0.1:${receiverPort}${path}", secret: "${secret}" }`;
  return [
    "targets:",
    ...names.map((name, i) => target(name, hookPath(i))),
    ...idle.map((name, i) => target(name, `/idle/${i}`)),
    "routes:",
    `  - notify: [${names.join(", ")}]`,
    "",
  ].join("\n");
}
