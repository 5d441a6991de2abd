import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { githubSignature } from "../helpers/signing.js";
import { json, runCli, startCli } from "./cli-process.js";

const ADMIN_TOKEN = "cli-admin-token-0123456789";
const SECRETS = {
  WEBHOOK_SECRET: "github-secret-for-the-cli-test",
  GITLAB_WEBHOOK_SECRET: "gitlab-secret-for-the-cli-test",
  NETLIFY_JWS_SECRET: "netlify-secret-for-the-cli-test",
};

interface EventSummary {
  id: string;
  source: string;
  source_event: string | null;
  status: string;
  kind: string | null;
}

interface SendResult {
  status: number;
  delivery: string;
  answer: { id: string; duplicate?: boolean };
}

describe("shipcast send and events", { timeout: 120_000 }, () => {
  let dir: string;
  let shipcast: ChildShipcast;
  let cli: { env: Record<string, string> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-cli-send-"));
    shipcast = await spawnShipcast(
      {
        DATABASE_URL: `sqlite:${join(dir, "shipcast.db")}`,
        SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
        SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
        ...SECRETS,
      },
      dir,
    );
    cli = { env: { SHIPCAST_URL: shipcast.url, SHIPCAST_TOKEN: ADMIN_TOKEN, ...SECRETS } };
  });

  afterAll(async () => {
    await shipcast?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The event as the API shows it once the worker is done with it. */
  async function processed(id: string): Promise<EventSummary> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await fetch(`${shipcast.url}/api/v1/events/${id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const event = (await res.json()) as EventSummary;
      if (event.status !== "pending" || Date.now() > deadline) return event;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("signs every sample so the server accepts it (202), each a new deploy event", async () => {
    const samples: Array<[string, string, string]> = [
      ["github", "deployment", "deploy.started"],
      ["github", "deployment_status", "deploy.succeeded"],
      ["gitlab", "deployment", "deploy.succeeded"],
      ["gitlab", "pipeline", "deploy.succeeded"],
      ["netlify", "deploy_created", "deploy.succeeded"],
      ["netlify", "deploy_failed", "deploy.failed"],
      // The same sample twice: fresh ids, so a second event rather than a duplicate.
      ["netlify", "deploy_created", "deploy.succeeded"],
    ];
    const results = await Promise.all(
      samples.map(([source, event]) => runCli(["send", source, event, "--json"], cli)),
    );
    const sent = results.map((result) => {
      expect(result.code, result.stderr).toBe(0);
      return json<SendResult>(result);
    });
    for (const result of sent) {
      expect(result.status).toBe(202);
      expect(result.answer.duplicate).toBeUndefined();
    }
    expect(new Set(sent.map((s) => s.answer.id)).size).toBe(samples.length);
    expect(new Set(sent.map((s) => s.delivery)).size).toBe(samples.length);

    for (const [i, [source, event, kind]] of samples.entries()) {
      const id = (sent[i] as SendResult).answer.id;
      const stored = await processed(id);
      expect(stored, `${source} ${event}`).toMatchObject({ source, status: "processed", kind });
    }

    const listed = json<{ items: EventSummary[] }>(await runCli(["events", "list", "--json"], cli));
    const listedIds = listed.items.map((item) => item.id);
    for (const result of sent) expect(listedIds).toContain(result.answer.id);
  });

  it("exits 1 with the server's answer when the secret is wrong", async () => {
    const result = await runCli(
      ["send", "gitlab", "deployment", "--secret", "not-the-secret"],
      cli,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("401");
    expect(result.stderr).toContain("401 missing or invalid GitLab signature");
  });

  it("exits 2 without a secret or for an event it has no sample of, listing the known ones", async () => {
    const noSecret = await runCli(["send", "netlify", "deploy_failed"], {
      env: { SHIPCAST_URL: shipcast.url },
    });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("set NETLIFY_JWS_SECRET");

    const unknown = await runCli(["send", "gitlab", "push"], cli);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no gitlab sample "push" (known: deployment, pipeline)');
  });

  it("lists events as a table, and as JSON filtered by source", async () => {
    const sent = json<SendResult>(await runCli(["send", "gitlab", "deployment", "--json"], cli));
    await processed(sent.answer.id);

    const table = await runCli(["events", "list", "--limit", "5"], cli);
    expect(table.code).toBe(0);
    const [heading, ...rows] = table.stdout.trimEnd().split("\n");
    expect(heading).toMatch(/^ID\s+RECEIVED\s+SOURCE\s+EVENT\s+STATUS\s+KIND\s+PROJECT/);
    expect(rows[0]).toMatch(
      new RegExp(
        `^${sent.answer.id}\\s.*gitlab\\s+Deployment Hook\\s+processed\\s+deploy\\.succeeded`,
      ),
    );

    const gitlab = json<{ items: EventSummary[] }>(
      await runCli(["events", "list", "--source", "gitlab", "--json"], cli),
    );
    expect(gitlab.items.length).toBeGreaterThan(0);
    expect(new Set(gitlab.items.map((item) => item.source))).toEqual(new Set(["gitlab"]));
  });

  it("shows one event with what it became and its redacted headers; 404 exits 1", async () => {
    const sent = json<SendResult>(
      await runCli(["send", "github", "deployment_status", "--json"], cli),
    );
    await processed(sent.answer.id);

    const shown = await runCli(["events", "show", sent.answer.id], cli);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^id: +evt_/m);
    expect(shown.stdout).toContain("source:      github (deployment_status)");
    expect(shown.stdout).toContain("project:     Hello-World");
    expect(shown.stdout).toContain("x-hub-signature-256: [redacted]");
    expect(shown.stdout).toContain(`x-github-delivery: ${sent.delivery}`);
    expect(shown.stdout).not.toContain(SECRETS.WEBHOOK_SECRET);

    const detail = json<{ id: string; payload: { action: string } }>(
      await runCli(["events", "show", sent.answer.id, "--json"], cli),
    );
    expect(detail).toMatchObject({ id: sent.answer.id, payload: { action: "created" } });

    const missing = await runCli(["events", "show", "evt_01NOTHERE"], cli);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404 no event evt_01NOTHERE");
  });

  it("tails new events, one JSON object per line, each once, until Ctrl-C", async () => {
    const tail = startCli(["events", "tail", "--json"], cli);
    await tail.waitFor((_stdout, stderr) => stderr.includes("following new events"));

    const accepted: string[] = [];
    for (let i = 0; i < 2; i++) {
      const body = JSON.stringify(githubExamplesOf("deployment_status")[0]);
      const res = await fetch(`${shipcast.url}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "deployment_status",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": githubSignature(SECRETS.WEBHOOK_SECRET, body),
        },
        body,
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { id: string }).id);
    }

    await tail.waitFor((stdout) => accepted.every((id) => stdout.includes(id)));
    // A poll more, to see nothing is printed twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await tail.stop("SIGINT")).toBe(0);
    const lines = tail.stdout().trimEnd().split("\n");
    const ids = lines.map((line) => (JSON.parse(line) as EventSummary).id);
    expect(ids).toEqual(accepted);
  });
});
