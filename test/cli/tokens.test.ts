import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { json, runCli } from "./cli-process.js";

const ADMIN_TOKEN = "cli-admin-token-0123456789";

interface Created {
  id: string;
  name: string;
  scope: string;
  token: string;
  token_hint: string;
}

describe("shipcast tokens", { timeout: 120_000 }, () => {
  let dir: string;
  let shipcast: ChildShipcast;
  const as = (token: string) => ({ env: { SHIPCAST_URL: shipcast.url, SHIPCAST_TOKEN: token } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-cli-tokens-"));
    shipcast = await spawnShipcast(
      { DATABASE_URL: `sqlite:${join(dir, "shipcast.db")}`, SHIPCAST_ADMIN_TOKEN: ADMIN_TOKEN },
      dir,
    );
  });

  afterAll(async () => {
    await shipcast?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a read token that can read but not write, lists it without the token, revokes it", async () => {
    const created = await runCli(
      ["tokens", "create", "--name", "deploy dashboard", "--scope", "read", "--json"],
      as(ADMIN_TOKEN),
    );
    expect(created.code, created.stderr).toBe(0);
    const token = json<Created>(created);
    expect(token).toMatchObject({ name: "deploy dashboard", scope: "read" });
    expect(token.token).toMatch(/^shc_/);

    const list = await runCli(["tokens", "list"], as(ADMIN_TOKEN));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+SCOPE\s+HINT\s+CREATED\s+LAST USED\s+REVOKED$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^${token.id}\\s+deploy dashboard\\s+read\\s+shc_`, "m"),
    );
    expect(list.stdout).not.toContain(token.token);

    expect((await runCli(["events", "list"], as(token.token))).code).toBe(0);
    const write = await runCli(
      ["notifications", "create", "--kind", "slack", "--url", "https://hooks.example.com/x"],
      as(token.token),
    );
    expect(write.code).toBe(1);
    expect(write.stderr).toContain("shipcast: 403");

    const revoked = await runCli(["tokens", "revoke", token.id], as(ADMIN_TOKEN));
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`revoked ${token.id}\n`);
    const refused = await runCli(["events", "list"], as(token.token));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("shipcast: 401");
  });

  it("shows a new token once in text, and leaves managing tokens to the admin token", async () => {
    const created = await runCli(
      ["tokens", "create", "--name", "ci", "--scope", "write"],
      as(ADMIN_TOKEN),
    );
    expect(created.code).toBe(0);
    const token = /^token: +(shc_\S+)$/m.exec(created.stdout)?.[1];
    expect(token).toBeDefined();
    expect(created.stderr).toContain("shown this once");

    const list = await runCli(["tokens", "list"], as(token as string));
    expect(list.code).toBe(1);
    expect(list.stderr).toContain("shipcast: 403");
  });
});
