/**
 * The bearer token of an API request. Who a token is, and what a scope allows, is the tokens
 * service's to say (the dashboard signs in through it too).
 */
import {
  allows,
  type Principal,
  type Scope,
  type TokensService,
} from "../services/tokens/tokens-service.js";

export { allows, type Principal, type Scope };

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
 * Checks an `Authorization: Bearer <token>` header. With no admin token configured the API is
 * off, and says so, rather than open.
 */
export async function authenticate(
  authorization: string | undefined,
  tokens: TokensService,
): Promise<AuthResult> {
  if (!tokens.enabled) {
    return {
      ok: false,
      status: 503,
      message: "The management API is off: set SHIPCAST_ADMIN_TOKEN to enable it",
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  const presented = match?.[1];
  if (!presented) return UNAUTHORIZED;
  const principal = await tokens.authenticate(presented);
  return principal ? { ok: true, principal } : UNAUTHORIZED;
}
