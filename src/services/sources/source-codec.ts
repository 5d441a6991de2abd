/**
 * Between a source as the program uses it (secrets in clear, the rotation's grace as a time) and
 * as it is stored (secrets sealed with `SecretBox`, write-only) or shown (`secret_set`).
 */

import type { SourceKind } from "../../sources/source.js";
import { KEY_HINT, type SecretBox, SecretBoxError } from "../../store/secret-box.js";
import type { SourceRow } from "../../store/sources-repository.js";

/** A source managed through the API, decoded. */
export interface StoredSource {
  id: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  secret: string;
  /** The secret before the last rotation, while its grace lasts (and until the next write). */
  previous: { secret: string; expiresAt: string } | undefined;
  created_at: string;
  updated_at: string;
}

/** What the sealed column holds. */
interface SealedSecrets {
  secret: string;
  previous?: string;
}

/** Seals a source's secrets; without a key there is nowhere to keep them. */
export function sealSecrets(
  box: SecretBox | undefined,
  secret: string,
  previous: string | undefined,
): string {
  if (box === undefined) throw new SecretBoxError(`no encryption key: ${KEY_HINT}`);
  const sealed: SealedSecrets = previous === undefined ? { secret } : { secret, previous };
  return box.seal(JSON.stringify(sealed));
}

/** A row back to a source; throws `SecretBoxError` when its secrets cannot be opened. */
export function decodeSourceRow(row: SourceRow, box: SecretBox | undefined): StoredSource {
  if (box === undefined) throw new SecretBoxError(`no encryption key: ${KEY_HINT}`);
  const sealed = JSON.parse(box.open(row.secrets)) as SealedSecrets;
  return {
    id: row.id,
    kind: row.kind as SourceKind,
    name: row.name,
    enabled: row.enabled === 1,
    secret: sealed.secret,
    previous:
      sealed.previous !== undefined && row.previous_secret_expires_at !== null
        ? { secret: sealed.previous, expiresAt: row.previous_secret_expires_at }
        : undefined,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Until when a rotation's previous secret is accepted, when that is still after `now`. */
export function liveGraceEnd(expiresAt: string | null | undefined, now: number): string | null {
  if (expiresAt === null || expiresAt === undefined) return null;
  return Date.parse(expiresAt) > now ? expiresAt : null;
}
