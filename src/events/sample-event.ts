import type { DeployEvent, DeployEventKind } from "./deploy-event.js";

/**
 * The event a test send delivers: clearly a sample (project `shipcast-sample`, source
 * `shipcast`), with every field a receiver may read filled in, in the state `kind` asks for. It
 * names no repository, so no commit status or comment is ever written for it.
 */
export function sampleEvent(kind: DeployEventKind, now: Date): DeployEvent {
  const event: DeployEvent = {
    schemaVersion: 1,
    kind,
    source: "shipcast",
    sourceEvent: "test",
    project: { name: "shipcast-sample", id: "sample" },
    environment: { name: "production", type: "PRODUCTION" },
    commit: {
      sha: "0000000000000000000000000000000000000000",
      ref: "main",
      message: "Test delivery from Shipcast",
    },
    urls: {
      deploy: "https://example.com/",
      logs: "https://example.com/deploys/sample",
    },
    actor: "shipcast",
    occurredAt: now.toISOString(),
    ids: { deploy: "sample" },
  };
  if (kind === "deploy.failed") event.error = "This is a test failure sent by Shipcast.";
  if (kind === "form.submitted") {
    event.form = { name: "contact", fields: { name: "Test", message: "Sent by Shipcast" } };
  }
  return event;
}
