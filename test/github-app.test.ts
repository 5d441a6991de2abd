import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.js";
import { createProbot, handToProbot } from "../src/github-app.js";
import type { ProcessedEvent } from "../src/ingest/event-worker.js";
import type { EventWithPayload } from "../src/store/events-repository.js";
import { githubExamplesOf } from "./helpers/payloads.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

function row(source: string, eventName: string, payload: unknown): ProcessedEvent {
  const stored: EventWithPayload = {
    id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    source,
    source_id: null,
    dedupe_key: "d6d1a0f0-0000-4000-8000-000000000000",
    event_name: eventName,
    received_at: new Date().toISOString(),
    headers: "{}",
    body: JSON.stringify(payload),
    status: "ignored",
    reason: null,
    normalized: null,
    processed_at: null,
    attempts: 1,
  };
  return { row: stored, status: "ignored" };
}

describe("the GitHub App (Probot)", () => {
  const log = pino({ level: "silent" });

  it("is not created without APP_ID and a private key", async () => {
    expect(await createProbot(loadConfig({ WEBHOOK_SECRET: "s" }), log)).toBeUndefined();
  });

  it("receives committed GitHub events, and only GitHub's, after the worker processed them", async () => {
    const config = loadConfig({ APP_ID: "12345", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: "s" });
    const probot = await createProbot(config, log);
    expect(probot).toBeDefined();
    if (!probot) return;
    const seen: Array<{ name: string; id: string; action: unknown }> = [];
    probot.onAny(async (event) => {
      seen.push({
        name: event.name,
        id: event.id,
        action: (event.payload as { action?: unknown }).action,
      });
    });
    const pullRequest = githubExamplesOf("pull_request").find(
      (p) => (p as { action?: string }).action === "closed",
    );
    await handToProbot(
      probot,
      log,
    )([
      row("github", "pull_request", pullRequest),
      row("gitlab", "Deployment Hook", { object_kind: "deployment" }),
    ]);
    expect(seen).toEqual([
      { name: "pull_request", id: "d6d1a0f0-0000-4000-8000-000000000000", action: "closed" },
    ]);
  });
});
