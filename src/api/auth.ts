import type { IncomingMessage } from "node:http";
import { constantTimeEqual } from "../sources/constant-time.js";

export type AuthResult =
  | { ok: true }
  | { ok: false; status: 401 | 503; message: string; headers?: Record<string, string> };

/**
 * Checks `Authorization: Bearer <token>` against `SHIPCAST_ADMIN_TOKEN` in constant time. With no
 * admin token configured the API is off, and says so, rather than open.
 */
export function authorize(req: IncomingMessage, adminToken: string | undefined): AuthResult {
  if (adminToken === undefined) {
    return {
      ok: false,
      status: 503,
      message: "The management API is off: set SHIPCAST_ADMIN_TOKEN to enable it",
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!match?.[1] || !constantTimeEqual(match[1], adminToken)) {
    return {
      ok: false,
      status: 401,
      message: "missing or invalid bearer token",
      headers: { "www-authenticate": 'Bearer realm="shipcast"' },
    };
  }
  return { ok: true };
}
