import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createShipcastApp } from "../src/app.js";
import { openStore, type Store } from "../src/store/database.js";
import { StickyComments } from "../src/store/sticky-comments-repository.js";
import { githubExamplesOf } from "./helpers/payloads.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const closed = githubExamplesOf("pull_request").find(
  (p) => (p as { action?: string }).action === "closed",
) as { number: number; installation: { id: number } };

describe("the Probot app", () => {
  let dir: string;
  let store: Store;
  let sticky: StickyComments;
  let probot: Probot;
  const unmatched: string[] = [];

  beforeEach(async () => {
    nock.disableNetConnect();
    nock.emitter.on("no match", (req: { method?: string; path?: string }) => {
      unmatched.push(`${req.method} ${req.path}`);
    });
    dir = mkdtempSync(join(tmpdir(), "shipcast-app-"));
    store = await openStore({ engine: "sqlite", path: join(dir, "shipcast.db") });
    sticky = new StickyComments(store.db);
    probot = new Probot({
      appId: 1,
      privateKey,
      secret: "test",
      log: pino({ level: "silent" }),
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    });
    await probot.load(createShipcastApp({ sticky }));
  });

  afterEach(async () => {
    nock.emitter.removeAllListeners("no match");
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    expect(unmatched.splice(0)).toEqual([]);
    expect(pending).toEqual([]);
  });

  it("marks the sticky comment of a closed pull request closed, edits it once, deletes nothing", async () => {
    const key = {
      provider: "github" as const,
      repository: "https://github.com/Codertocat/Hello-World",
      number: closed.number,
    };
    const row = await sticky.get(key);
    const rows = [
      {
        key: "web|deploy-preview",
        project: "web",
        environment: "deploy-preview",
        kind: "deploy.succeeded",
        occurredAt: "2026-01-01T00:00:00.000Z",
      },
    ];
    await sticky.save(row.id, "4242", JSON.stringify(rows), row.rows);
    let body = "";
    nock("https://api.github.com")
      .post(`/app/installations/${closed.installation.id}/access_tokens`)
      .reply(201, { token: "installation-token", expires_at: "2099-01-01T00:00:00Z" })
      .patch("/repos/Codertocat/Hello-World/issues/comments/4242", (b: { body: string }) => {
        body = b.body;
        return true;
      })
      .reply(200, { id: 4242 });
    await probot.receive({
      id: "delivery-1",
      name: "pull_request",
      payload: closed,
    } as Parameters<Probot["receive"]>[0]);
    expect(body).toContain("| web | deploy-preview | ✅ Ready |");
    expect(body).toContain("pull request is closed");
    const after = await sticky.get(key);
    expect(after.closed).toBe(1);
    expect(after.comment_id).toBe("4242");
  });

  it("does nothing for a closed pull request Shipcast never commented on", async () => {
    await probot.receive({
      id: "delivery-2",
      name: "pull_request",
      payload: closed,
    } as Parameters<Probot["receive"]>[0]);
  });
});
