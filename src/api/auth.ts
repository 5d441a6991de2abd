import { timingSafeEqual } from "node:crypto";
import { constantTimeEqual } from "../sources/constant-time.js";
import {
  findLiveToken,
  hashToken,
  TOKEN_PREFIX,
  touchToken,
} from "../store/api-tokens-repository.js";
import type { Store } from "../store/database.js";

/** What a route needs: `read` (GET), `write` (changes), `admin` (token management). */
export type Scope = "read" | "write" | "admin";

/** Who is calling: the admin token, or an API token with its scope. */
export type Principal =
  | { type: "admin"; key: string }
  | { type: "token"; key: string; id: string; scope: "read" | "write" };

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403 | 503; message: string; headers?: Record<string, string> };

const UNAUTHORIZED: AuthResult = {
  ok: false,
  status: 401,
  message: "missing or invalid bearer token",
  headers: { "www-authenticate": 'Bearer realm="shipcast"' },
};

/**
 * Checks an `Authorization: Bearer <token>` header: `SHIPCAST_ADMIN_TOKEN` (every scope) compared in
 * constant time, or an API token (`shc_…`) looked up by its SHA-256 and compared in constant time.
 * With no admin token configured the API is off, and says so, rather than open.
 */
export async function authenticate(
  authorization: string | undefined,
  adminToken: string | undefined,
  store: Store,
): Promise<AuthResult> {
  if (adminToken === undefined) {
    return {
      ok: false,
      status: 503,
      message: "The management API is off: set SHIPCAST_ADMIN_TOKEN to enable it",
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  const presented = match?.[1];
  if (!presented) return UNAUTHORIZED;
  if (constantTimeEqual(presented, adminToken)) {
    return { ok: true, principal: { type: "admin", key: "admin" } };
  }
  if (!presented.startsWith(TOKEN_PREFIX)) return UNAUTHORIZED;
  const hash = hashToken(presented);
  const row = await findLiveToken(store.db, hash);
  // The lookup is by a hash of the token, so its timing says nothing about the token; the final
  // comparison is constant-time all the same.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) {
    return UNAUTHORIZED;
  }
  await touchToken(store.db, row, new Date()).catch(() => undefined);
  return { ok: true, principal: { type: "token", key: row.id, id: row.id, scope: row.scope } };
}

/** Whether `principal` may use a route that needs `scope`. */
export function allows(principal: Principal, scope: Scope): boolean {
  if (principal.type === "admin") return true;
  if (scope === "admin") return false;
  return scope === "read" || principal.scope === "write";
}
