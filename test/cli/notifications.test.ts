import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { githubSignature } from "../helpers/signing.js";
import { json, runCli } from "./cli-process.js";

const ADMIN_TOKEN = "cli-admin-token-0123456789";
const HOOK_SECRET = "the-webhook-notification-secret";

interface View {
  id: string;
  kind: string;
  description: string;
  state: string;
  enabled: boolean;
  events: "all" | string[];
  environment_types: string[];
  branches: string[];
  headers?: Record<string, string>;
  secret_set?: boolean;
  url_set?: boolean;
}

interface Attempt {
  delivery_id: string;
  attempt: number;
  outcome: string;
  status: string;
}

describe("shipcast notifications and deliveries", { timeout: 180_000 }, () => {
  let dir: string;
  let shipcast: ChildShipcast;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  let cli: { env: Record<string, string> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-cli-notifications-"));
    receiver = await startHttpReceiver();
    shipcast = await spawnShipcast(
      {
        DATABASE_URL: `sqlite:${join(dir, "shipcast.db")}`,
        SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN,
        SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64"),
      },
      dir,
    );
    cli = { env: { SHIPCAST_URL: shipcast.url, SHIPCAST_TOKEN: ADMIN_TOKEN } };
  });

  afterAll(async () => {
    await shipcast?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A webhook notification made through the API itself, for the commands that act on one. */
  async function webhook(path: string): Promise<string> {
    const res = await fetch(`${shipcast.url}/api/v1/notifications`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "webhook", url: `${receiver.url}${path}`, secret: HOOK_SECRET }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function until(test: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("creates a webhook from flags, shows it without its secrets, lists and changes it", async () => {
    const created = await runCli(
      [
        "notifications",
        "create",
        "--kind",
        "webhook",
        "--url",
        `${receiver.url}/created`,
        "--secret",
        HOOK_SECRET,
        "--header",
        "X-Team: web",
        "--events",
        "deploy.failed,deploy.succeeded",
        "--environment-types",
        "production",
        "--branches",
        "main,release/*",
        "--description",
        "release tracker",
        "--json",
      ],
      cli,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).not.toContain(HOOK_SECRET);
    const view = json<View>(created);
    expect(view).toMatchObject({
      kind: "webhook",
      description: "release tracker",
      state: "active",
      secret_set: true,
      headers: { "X-Team": "[redacted]" },
      events: ["deploy.failed", "deploy.succeeded"],
      environment_types: ["PRODUCTION"],
      branches: ["main", "release/*"],
    });

    const list = await runCli(["notifications", "list"], cli);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+KIND\s+STATE\s+SOURCE\s+EVENTS\s+TO\s+DESCRIPTION$/m);
    expect(list.stdout).toMatch(new RegExp(`^${view.id}\\s+webhook\\s+active\\s+api\\s`, "m"));

    const shown = await runCli(["notifications", "show", view.id], cli);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^secrets set: +secret$/m);
    expect(shown.stdout).toMatch(/^branches: +main,release\/\*$/m);
    expect(shown.stdout).not.toContain(HOOK_SECRET);

    const updated = await runCli(
      ["notifications", "update", view.id, "--description", "renamed", "--events", "all", "--json"],
      cli,
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(json<View>(updated)).toMatchObject({
      id: view.id,
      description: "renamed",
      events: "all",
      secret_set: true,
    });

    const nothing = await runCli(["notifications", "update", view.id], cli);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("nothing to change");
  });

  it("prints the API's problems by field and exits 1", async () => {
    const result = await runCli(
      ["notifications", "create", "--kind", "webhook", "--url", "ftp://example.com/x"].concat([
        "--environment-types",
        "moon",
      ]),
      cli,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("shipcast: 422 validation failed");
    expect(result.stderr).toMatch(/^ {2}url: must be an http\(s\) URL$/m);
    expect(result.stderr).toMatch(/^ {2}environment_types\.0: unknown environment type "moon"/m);
  });

  it("takes the other fields from --data @file, the flags winning; bad --data is a usage error", async () => {
    const file = join(dir, "slack.json");
    writeFileSync(
      file,
      JSON.stringify({
        url: `${receiver.url}/slack`,
        description: "from the file",
        events: ["deploy.failed"],
      }),
    );
    const created = await runCli(
      ["notifications", "create", "--kind", "slack", "--data", `@${file}`].concat([
        "--description",
        "from the flag",
        "--json",
      ]),
      cli,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(json<View>(created)).toMatchObject({
      kind: "slack",
      description: "from the flag",
      events: ["deploy.failed"],
      url_set: true,
    });

    const bad = await runCli(
      ["notifications", "create", "--kind", "slack", "--data", "{not json"],
      cli,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--data <json>' argument '{not json' is invalid");
  });

  it("tests a notification with a signed sample, then lists, shows and resends the delivery", async () => {
    const id = await webhook("/signed");
    const tested = await runCli(["notifications", "test", id, "--event", "deploy.failed"], cli);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^outcome: +succeeded$/m);
    const [request] = receiver.to("/signed");
    expect(request?.headers["x-hub-signature-256"]).toBe(
      githubSignature(HOOK_SECRET, request?.body ?? ""),
    );
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ kind: "deploy.failed" });

    const listed = json<{ items: Array<{ id: string; target: string; status: string }> }>(
      await runCli(["deliveries", "list", "--target", id, "--json"], cli),
    );
    expect(listed.items).toHaveLength(1);
    const delivery = listed.items[0] as { id: string; target: string; status: string };
    expect(delivery).toMatchObject({ target: id, status: "succeeded" });

    const shown = await runCli(["deliveries", "show", delivery.id], cli);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^target: +${id} \\(webhook\\)$`, "m"));
    expect(shown.stdout).toMatch(/^ {2}1\s+\S+ \S+\s+\d+\s+succeeded\s+200/m);

    const resent = await runCli(["deliveries", "resend", delivery.id, "--json"], cli);
    expect(resent.code, resent.stderr).toBe(0);
    expect(json<Attempt>(resent)).toMatchObject({
      delivery_id: delivery.id,
      attempt: 2,
      outcome: "succeeded",
    });
    const requests = receiver.to("/signed");
    expect(requests).toHaveLength(2);
    expect(requests[1]?.headers["x-shipcast-delivery"]).toBe(delivery.id);
  });

  it("exits 1 on a failed test; replay needs it enabled, enable does, and replay re-sends it", async () => {
    let up = false;
    receiver.on("/flaky", (_req, res) => {
      res.writeHead(up ? 200 : 500).end(up ? "ok" : "down");
    });
    const id = await webhook("/flaky");

    const failed = await runCli(["notifications", "test", id], cli);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^http status: +500$/m);
    expect(failed.stderr).toContain("the attempt did not succeed");
    up = true;

    const disabled = json<View>(
      await runCli(["notifications", "update", id, "--data", '{"enabled": false}', "--json"], cli),
    );
    expect(disabled).toMatchObject({ enabled: false, state: "disabled" });
    const refused = await runCli(["notifications", "replay", id, "--since", "1h"], cli);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("409");
    expect(refused.stderr).toContain("is disabled");

    const enabled = await runCli(["notifications", "enable", id], cli);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toMatch(/^state: +active$/m);

    const replayed = await runCli(["notifications", "replay", id, "--since", "1h", "--json"], cli);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(json<{ requeued: number }>(replayed).requeued).toBe(1);
    await until(() => receiver.to("/flaky").length === 2);
  });

  it("deletes a notification; showing it then exits 1 with 404", async () => {
    const id = await webhook("/deleted");
    const deleted = await runCli(["notifications", "delete", id], cli);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted ${id}\n`);
    const shown = await runCli(["notifications", "show", id], cli);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain(`404 no notification ${id}`);
  });
});
