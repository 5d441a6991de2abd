/**
 * Dashboard sessions, kept server-side. Signing in with the admin token or an API token gives a
 * random 256-bit secret for the cookie; the store keeps only its SHA-256, so a database dump
 * gives no session. Every request reads the session again: it ends after 12 hours without use,
 * 7 days after sign-in, at sign-out, as soon as its API token is revoked, and, for the admin,
 * as soon as `SHIPCAST_ADMIN_TOKEN` changes (the row keeps an HMAC of the admin token keyed
 * with the cookie's secret, which the store alone cannot check a guess against).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../../store/database.js";
import {
  deleteSession,
  deleteStaleSessions,
  findSession,
  insertSession,
  touchSession,
} from "../../store/sessions-repository.js";
import type { Principal, TokensService } from "../tokens/tokens-service.js";

/** A session without use for this long is over. */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** A session is over this long after sign-in, however active. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;
/** Activity is written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;

/** A live session: who it is, and the synchronizer token its forms carry. */
export interface Session {
  principal: Principal;
  csrfToken: string;
  /** When it ends at the latest. */
  expiresAt: string;
}

export interface SessionsServiceOptions {
  store: Store;
  tokens: TokensService;
  adminToken: string | undefined;
  idleMs?: number;
  maxMs?: number;
}

/** Dashboard sign-in, sessions and sign-out (see the module comment for when a session ends). */
export class SessionsService {
  private readonly idleMs: number;
  private readonly maxMs: number;

  constructor(private readonly options: SessionsServiceOptions) {
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.maxMs = options.maxMs ?? SESSION_MAX_MS;
  }

  /**
   * Signs in with `presented` (the admin token or an API token). Returns the cookie's secret
   * and the session, or undefined when the token is not valid.
   */
  async signIn(presented: string): Promise<{ secret: string; session: Session } | undefined> {
    const principal = await this.options.tokens.authenticate(presented.trim());
    if (!principal) return undefined;
    const now = Date.now();
    const { db } = this.options.store;
    await deleteStaleSessions(
      db,
      new Date(now).toISOString(),
      new Date(now - this.idleMs).toISOString(),
    );
    const secret = randomBytes(32).toString("base64url");
    const session: Session = {
      principal,
      csrfToken: randomBytes(32).toString("base64url"),
      expiresAt: new Date(now + this.maxMs).toISOString(),
    };
    await insertSession(db, {
      id: sessionId(secret),
      principal: principal.type,
      token_id: principal.type === "token" ? principal.id : null,
      admin_check: principal.type === "admin" ? this.adminCheck(secret) : null,
      csrf_token: session.csrfToken,
      created_at: new Date(now).toISOString(),
      last_seen_at: new Date(now).toISOString(),
      expires_at: session.expiresAt,
    });
    return { secret, session };
  }

  /** The live session of a cookie's secret, noting the activity; undefined when it is over. */
  async resume(secret: string, now = Date.now()): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
    const { db } = this.options.store;
    const id = sessionId(secret);
    const row = await findSession(db, id);
    if (!row) return undefined;
    const over =
      Date.parse(row.expires_at) <= now ||
      Date.parse(row.last_seen_at) + this.idleMs <= now ||
      row.token_revoked ||
      (row.principal === "admin" && !this.adminCheckMatches(secret, row.admin_check));
    if (over) {
      await deleteSession(db, id);
      return undefined;
    }
    if (now - Date.parse(row.last_seen_at) >= TOUCH_EVERY_MS) {
      await touchSession(db, id, new Date(now).toISOString());
    }
    const principal: Principal =
      row.principal === "admin" || row.token_id === null
        ? { type: "admin", key: "admin" }
        : { type: "token", key: row.token_id, id: row.token_id, scope: row.token_scope ?? "read" };
    return { principal, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  /** Ends the session of a cookie's secret. */
  async signOut(secret: string): Promise<void> {
    await deleteSession(this.options.store.db, sessionId(secret));
  }

  private adminCheck(secret: string): string | null {
    const { adminToken } = this.options;
    if (adminToken === undefined) return null;
    return createHmac("sha256", secret).update(adminToken).digest("hex");
  }

  private adminCheckMatches(secret: string, stored: string | null): boolean {
    const expected = this.adminCheck(secret);
    if (expected === null || stored === null || stored.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
  }
}

/** What the store keys a session by: the SHA-256 of the cookie's secret. */
function sessionId(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
