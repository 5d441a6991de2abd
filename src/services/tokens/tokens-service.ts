/**
 * API tokens and who a presented token is: `SHIPCAST_ADMIN_TOKEN` (everything) or an API token
 * (`shc_…`, scope read or write). The API (bearer tokens) and the dashboard (sign-in) both
 * authenticate here, so a revoked token stops working for both at once.
 */
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { constantTimeEqual } from "../../sources/constant-time.js";
import {
  type ApiTokenRow,
  createApiToken,
  findLiveToken,
  hashToken,
  listApiTokens,
  revokeApiToken,
  TOKEN_PREFIX,
  touchToken,
} from "../../store/api-tokens-repository.js";
import type { Store } from "../../store/database.js";
import type { TokenScope } from "../../store/schema.js";
import { deleteTokenSessions } from "../../store/sessions-repository.js";
import { problemsOf } from "../problems.js";
import { InputError } from "../service-errors.js";

export { TOKEN_PREFIX };

/** What an action needs: `read` (looking), `write` (changes), `admin` (token management). */
export type Scope = "read" | "write" | "admin";

/** Who is calling: the admin token, or an API token with its scope. */
export type Principal =
  | { type: "admin"; key: string }
  | { type: "token"; key: string; id: string; scope: TokenScope };

/** An API token as listed: never the token itself. */
export interface TokenView {
  id: string;
  name: string;
  scope: TokenScope;
  token_hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** What a new token needs: a name and a scope. */
export const tokenCreateSchema = z.strictObject({
  name: z.string().min(1).max(100).describe("What the token is for"),
  scope: z.enum(["read", "write"]).describe("read: GET only; write: everything but tokens"),
});

/** Whether `principal` may do what needs `scope`. */
export function allows(principal: Principal, scope: Scope): boolean {
  if (principal.type === "admin") return true;
  if (scope === "admin") return false;
  return scope === "read" || principal.scope === "write";
}

export interface TokensServiceOptions {
  store: Store;
  /** `SHIPCAST_ADMIN_TOKEN`; undefined turns the API and the dashboard off. */
  adminToken: string | undefined;
}

/** API tokens (create, list, revoke) and who a presented token is. */
export class TokensService {
  constructor(private readonly options: TokensServiceOptions) {}

  /** Whether management is on at all (`SHIPCAST_ADMIN_TOKEN` is set). */
  get enabled(): boolean {
    return this.options.adminToken !== undefined;
  }

  /** Whether `presented` is the admin token (constant time); false while it is unset. */
  isAdminToken(presented: string): boolean {
    const { adminToken } = this.options;
    return adminToken !== undefined && constantTimeEqual(presented, adminToken);
  }

  /**
   * Who `presented` is: the admin token compared in constant time, or a live API token looked
   * up by its SHA-256 and compared in constant time. Undefined for anything else, and always
   * while management is off.
   */
  async authenticate(presented: string): Promise<Principal | undefined> {
    if (!this.enabled) return undefined;
    if (this.isAdminToken(presented)) return { type: "admin", key: "admin" };
    if (!presented.startsWith(TOKEN_PREFIX)) return undefined;
    const hash = hashToken(presented);
    const row = await findLiveToken(this.options.store.db, hash);
    // The lookup is by a hash of the token, so its timing says nothing about the token; the
    // final comparison is constant-time all the same.
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return undefined;
    await touchToken(this.options.store.db, row, new Date()).catch(() => undefined);
    return { type: "token", key: row.id, id: row.id, scope: row.scope };
  }

  /** Creates a token; the token itself is in this answer only (it is stored as a hash). */
  async create(input: { name: string; scope: TokenScope }): Promise<TokenView & { token: string }> {
    const { row, token } = await createApiToken(this.options.store.db, input);
    return { ...tokenView(row), token };
  }

  /** Validates a creation request, then creates; `InputError` with every problem by field. */
  async createFromRequest(body: unknown): Promise<TokenView & { token: string }> {
    const parsed = tokenCreateSchema.safeParse(body);
    if (!parsed.success) throw new InputError(problemsOf(parsed.error));
    return this.create(parsed.data);
  }

  /** Every token, newest first. */
  async list(): Promise<TokenView[]> {
    return (await listApiTokens(this.options.store.db)).map(tokenView);
  }

  /** Revokes a token and ends its dashboard sessions; false when there is no live token `id`. */
  async revoke(id: string): Promise<boolean> {
    const revoked = await revokeApiToken(this.options.store.db, id);
    if (revoked) await deleteTokenSessions(this.options.store.db, id);
    return revoked;
  }
}

function tokenView(row: ApiTokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    token_hint: row.token_hint,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}
