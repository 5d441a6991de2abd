import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionsService } from "../../../src/services/sessions/sessions-service.js";
import { TokensService } from "../../../src/services/tokens/tokens-service.js";
import { revokeApiToken } from "../../../src/store/api-tokens-repository.js";
import { openStore, type Store } from "../../../src/store/database.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../helpers/databases.js";

const ADMIN = "admin-token-for-sessions-0123456789";
const HOUR = 3_600_000;

describe.each(ENGINES)("dashboard sessions on %s", (engine) => {
  let database: TestDatabase;
  let store: Store;
  let tokens: TokensService;
  let sessions: SessionsService;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.location);
    tokens = new TokensService({ store, adminToken: ADMIN });
    sessions = new SessionsService({ store, tokens, adminToken: ADMIN });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("signs in with the admin token or a live API token, and nothing else", async () => {
    const admin = await sessions.signIn(ADMIN);
    expect(admin?.session.principal).toEqual({ type: "admin", key: "admin" });
    const created = await tokens.create({ name: "wallboard", scope: "read" });
    const reader = await sessions.signIn(created.token);
    expect(reader?.session.principal).toMatchObject({
      type: "token",
      id: created.id,
      scope: "read",
    });
    expect(await sessions.signIn("shc_wrong")).toBeUndefined();
    expect(await sessions.signIn(`${ADMIN}x`)).toBeUndefined();
    // Each session has its own secret and its own synchronizer token.
    expect(admin?.secret).not.toBe(reader?.secret);
    expect(admin?.session.csrfToken).not.toBe(reader?.session.csrfToken);
  });

  it("keeps only a hash of the cookie's secret in the store", async () => {
    const signed = await sessions.signIn(ADMIN);
    const rows = await store.db.selectFrom("dashboard_sessions").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(signed?.secret);
    expect(JSON.stringify(rows)).not.toContain(ADMIN);
  });

  it("ends a session after 12 hours without use, and keeps one in use", async () => {
    const signed = await sessions.signIn(ADMIN);
    const secret = signed?.secret ?? "";
    const start = Date.now();
    expect(await sessions.resume(secret, start + 11 * HOUR)).toBeDefined();
    // Used at 11 h: still there 11 h later.
    expect(await sessions.resume(secret, start + 22 * HOUR)).toBeDefined();
    expect(await sessions.resume(secret, start + 34.5 * HOUR)).toBeUndefined();
    // Over is over: the row is gone.
    expect(await sessions.resume(secret, start + 22 * HOUR)).toBeUndefined();
  });

  it("ends a session at its maximum age however active it is", async () => {
    const short = new SessionsService({ store, tokens, adminToken: ADMIN, maxMs: 2 * HOUR });
    const signed = await short.signIn(ADMIN);
    const start = Date.now();
    expect(await short.resume(signed?.secret ?? "", start + HOUR)).toBeDefined();
    expect(await short.resume(signed?.secret ?? "", start + 2 * HOUR + 1000)).toBeUndefined();
  });

  it("ends a token's sessions at the next request once the token is revoked, however it was revoked", async () => {
    const created = await tokens.create({ name: "laptop", scope: "write" });
    const first = await sessions.signIn(created.token);
    const second = await sessions.signIn(created.token);
    expect(await sessions.resume(first?.secret ?? "")).toBeDefined();
    // Revoked in the store directly (as another process would): the next request sees it.
    expect(await revokeApiToken(store.db, created.id)).toBe(true);
    expect(await sessions.resume(first?.secret ?? "")).toBeUndefined();
    expect(await sessions.resume(second?.secret ?? "")).toBeUndefined();
  });

  it("ends the admin's sessions when SHIPCAST_ADMIN_TOKEN changes", async () => {
    const signed = await sessions.signIn(ADMIN);
    const rotatedTokens = new TokensService({ store, adminToken: `${ADMIN}-rotated` });
    const rotated = new SessionsService({
      store,
      tokens: rotatedTokens,
      adminToken: `${ADMIN}-rotated`,
    });
    expect(await rotated.resume(signed?.secret ?? "")).toBeUndefined();
  });

  it("signs out: the session is gone", async () => {
    const signed = await sessions.signIn(ADMIN);
    await sessions.signOut(signed?.secret ?? "");
    expect(await sessions.resume(signed?.secret ?? "")).toBeUndefined();
  });

  it("reads a token's scope at every request", async () => {
    const created = await tokens.create({ name: "ci", scope: "read" });
    const signed = await sessions.signIn(created.token);
    await store.db
      .updateTable("api_tokens")
      .set({ scope: "write" })
      .where("id", "=", created.id)
      .execute();
    const resumed = await sessions.resume(signed?.secret ?? "");
    expect(resumed?.principal).toMatchObject({ type: "token", scope: "write" });
  });
});
