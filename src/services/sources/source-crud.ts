/**
 * Creating, changing, removing and showing sources, as the API does it: secrets checked by the
 * kind, sealed before they are stored and never shown; rotation keeps the previous secret for a
 * grace period; the environment-variable sources listed read-only next to them.
 */
import type { Kysely } from "kysely";
import { SOURCES, sourceByName } from "../../sources/index.js";
import { environmentSourceId, type SourceKind } from "../../sources/source.js";
import type { Database } from "../../store/schema.js";
import { KEY_HINT, type SecretBox } from "../../store/secret-box.js";
import {
  deleteSourceRow,
  getSourceRow,
  insertSource,
  listSourceRows,
  type SourceRow,
  updateSourceRow,
} from "../../store/sources-repository.js";
import { decodeSourceRow, liveGraceEnd, type StoredSource, sealSecrets } from "./source-codec.js";
import { ReadOnlySourceError, SourceInputError } from "./source-errors.js";
import { newSourceId, sourceWebhookPath } from "./source-id.js";
import {
  DEFAULT_ROTATION_GRACE_MS,
  MAX_ROTATION_GRACE_MS,
  type SourceCreate,
  type SourcePatch,
  type SourceView,
} from "./source-schemas.js";

export interface SourceCrudOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  /** Which environment-variable sources have their secret set (by kind). */
  environment: Partial<Record<SourceKind, { secret: string | undefined }>>;
  /** `PUBLIC_URL`: the origin shown in the sources' URLs, else the request's. */
  publicUrl: string | undefined;
  /** Called after every write, so the directory serves the change at once. */
  onChange: () => Promise<void>;
  /** How long a rotated secret stays valid by default. Default 24 hours. */
  graceMs?: number;
  /** The clock (tests move it). Default: `Date.now`. */
  now?: () => number;
}

/** The sources' create, read, update and delete, over the store. */
export class SourceCrud {
  private readonly now: () => number;

  constructor(private readonly options: SourceCrudOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Creates a source from a validated request body. */
  async create(input: SourceCreate, origin: string): Promise<SourceView> {
    this.checkSecret(input.kind, input.secret);
    const now = new Date(this.now()).toISOString();
    const id = newSourceId();
    await insertSource(this.options.db, {
      id,
      kind: input.kind,
      name: input.name,
      enabled: input.enabled ? 1 : 0,
      secrets: sealSecrets(this.options.box, input.secret, undefined),
      previous_secret_expires_at: null,
      created_at: now,
      updated_at: now,
    });
    await this.options.onChange();
    return (await this.view(id, origin)) as SourceView;
  }

  /**
   * Applies a validated PATCH. A new secret keeps the current one valid until
   * `previous_secret_expires_at` (default: the grace period from now); that time alone changes
   * the grace of the rotation under way, and null or a past time ends it.
   */
  async update(id: string, patch: SourcePatch, origin: string): Promise<SourceView | undefined> {
    if (this.isEnvironment(id)) throw new ReadOnlySourceError(id);
    const row = await getSourceRow(this.options.db, id);
    if (!row) return undefined;
    this.checkBox();
    const current = decodeSourceRow(row, this.options.box);
    if (patch.kind !== undefined && patch.kind !== current.kind) {
      throw new SourceInputError([
        { field: "kind", message: "cannot change; create a new source instead" },
      ]);
    }
    const nowMs = this.now();
    const expiry = this.graceEnd(patch.previous_secret_expires_at, nowMs);
    let secret = current.secret;
    let previous = livePrevious(current, nowMs);
    if (patch.secret !== undefined && patch.secret !== current.secret) {
      this.checkSecret(current.kind, patch.secret);
      // One rotation at a time: the secret before this one stops now, whatever its grace.
      previous =
        patch.previous_secret_expires_at === null
          ? undefined
          : { secret: current.secret, expiresAt: expiry ?? this.defaultGraceEnd(nowMs) };
      secret = patch.secret;
    } else if (patch.previous_secret_expires_at !== undefined) {
      if (previous === undefined) {
        throw new SourceInputError([
          {
            field: "previous_secret_expires_at",
            message: "no rotation under way: send a new secret with it",
          },
        ]);
      }
      previous = expiry === undefined ? undefined : { ...previous, expiresAt: expiry };
    }
    if (previous !== undefined && Date.parse(previous.expiresAt) <= nowMs) previous = undefined;
    await updateSourceRow(this.options.db, id, {
      name: patch.name ?? current.name,
      enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
      secrets: sealSecrets(this.options.box, secret, previous?.secret),
      previous_secret_expires_at: previous?.expiresAt ?? null,
      updated_at: new Date(nowMs).toISOString(),
    });
    await this.options.onChange();
    return this.view(id, origin);
  }

  /** Deletes a source (the events it received keep its id); false when unknown. */
  async remove(id: string): Promise<boolean> {
    if (this.isEnvironment(id)) throw new ReadOnlySourceError(id);
    const removed = await deleteSourceRow(this.options.db, id);
    await this.options.onChange();
    return removed;
  }

  /** One source as the API shows it; the environment-variable sources too. */
  async view(id: string, origin: string): Promise<SourceView | undefined> {
    const environment = this.environmentViews(origin).find((view) => view.id === id);
    if (environment) return environment;
    const row = await getSourceRow(this.options.db, id);
    if (!row) return undefined;
    return this.apiView(row, origin);
  }

  /** API sources (oldest first), then the environment-variable sources, read-only. */
  async list(origin: string): Promise<SourceView[]> {
    const rows = await listSourceRows(this.options.db);
    return [...rows.map((row) => this.apiView(row, origin)), ...this.environmentViews(origin)];
  }

  /** Whether `id` names an environment-variable source. */
  isEnvironment(id: string): boolean {
    return SOURCES.some((source) => environmentSourceId(source.name) === id);
  }

  /** The origin shown in the sources' URLs: `PUBLIC_URL`, else the request's. */
  originFor(requestOrigin: string): string {
    return this.options.publicUrl ?? requestOrigin;
  }

  private apiView(row: SourceRow, origin: string): SourceView {
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      enabled: row.enabled === 1,
      read_only: false,
      managed_by: "api",
      url: `${this.originFor(origin)}${sourceWebhookPath(row.id)}`,
      secret_set: true,
      secret_setting: null,
      previous_secret_expires_at: liveGraceEnd(row.previous_secret_expires_at, this.now()),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  private environmentViews(origin: string): SourceView[] {
    return SOURCES.map((source) => {
      const set = this.options.environment[source.name]?.secret !== undefined;
      return {
        id: environmentSourceId(source.name),
        kind: source.name,
        name: `${source.title} (${source.secretSetting})`,
        enabled: set,
        read_only: true,
        managed_by: "environment",
        url: `${this.originFor(origin)}${source.route}`,
        secret_set: set,
        secret_setting: source.secretSetting,
        previous_secret_expires_at: null,
        created_at: null,
        updated_at: null,
      };
    });
  }

  /** The kind's own rule for its secret (generic: a whsec_ secret), as a 422. */
  private checkSecret(kind: SourceKind, secret: string): void {
    this.checkBox();
    const problem = sourceByName(kind)?.secretProblem?.(secret);
    if (problem !== undefined) throw new SourceInputError([{ field: "secret", message: problem }]);
  }

  /** Secrets are always stored encrypted: without a key, the API refuses them. */
  private checkBox(): void {
    if (this.options.box === undefined) {
      throw new SourceInputError([
        {
          field: "secret",
          message: `is a secret, and SHIPCAST_ENCRYPTION_KEY is not set: ${KEY_HINT}`,
        },
      ]);
    }
  }

  private defaultGraceEnd(nowMs: number): string {
    return new Date(nowMs + (this.options.graceMs ?? DEFAULT_ROTATION_GRACE_MS)).toISOString();
  }

  /** A requested end of grace, normalized; at most 7 days ahead. Undefined for null/absent. */
  private graceEnd(value: string | null | undefined, nowMs: number): string | undefined {
    if (value === null || value === undefined) return undefined;
    const at = Date.parse(value);
    if (at - nowMs > MAX_ROTATION_GRACE_MS) {
      throw new SourceInputError([
        { field: "previous_secret_expires_at", message: "must be at most 7 days from now" },
      ]);
    }
    return new Date(at).toISOString();
  }
}

/** The previous secret while its grace lasts. */
function livePrevious(source: StoredSource, nowMs: number): StoredSource["previous"] | undefined {
  const previous = source.previous;
  return previous !== undefined && Date.parse(previous.expiresAt) > nowMs ? previous : undefined;
}
