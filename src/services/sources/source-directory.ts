/**
 * The sources managed through the API as the ingest path reads them: in memory, secrets already
 * decrypted, so that `POST /api/sources/<id>/webhooks` costs one map lookup and no store read or
 * decryption, and stays as fast as the environment-variable routes.
 *
 * The store is the truth. Writes through this process reload the copy at once; other processes
 * (PostgreSQL) are caught up by a poll of one small query. Disabled sources, and rows that cannot
 * be read, are left out: their ids answer like unknown ones.
 */
import type { Kysely } from "kysely";
import type { Logger } from "../../logging/logger.js";
import { sourceByName } from "../../sources/index.js";
import type { SourceReceiver } from "../../sources/source.js";
import type { Database } from "../../store/schema.js";
import type { SecretBox } from "../../store/secret-box.js";
import { listSourceRows, sourcesStamp } from "../../store/sources-repository.js";
import { assertStoredSecretsOpen } from "../stored-secrets-check.js";
import { decodeSourceRow } from "./source-codec.js";

export interface SourceDirectoryOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  log: Logger;
  /** The clock rotations are judged by (tests move it). Default: `Date.now`. */
  now?: () => number;
}

/** One enabled source, ready for requests. */
interface LiveSource {
  /** Its secret alone, and with the previous one while the rotation's grace lasts. */
  current: SourceReceiver;
  withPrevious: SourceReceiver | undefined;
  /** Epoch ms at which the previous secret stops being accepted. */
  previousUntil: number;
}

/** The in-memory, decrypted copy of the enabled sources: what the per-source route reads. */
export class SourceDirectory {
  private live = new Map<string, LiveSource>();
  private stamp = "";
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SourceDirectoryOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Loads the sources. At start-up, stored secrets that cannot be opened (no key, another key)
   * stop the start with what to do, rather than refusing every delivery later.
   */
  async load(): Promise<void> {
    const rows = await listSourceRows(this.options.db);
    assertStoredSecretsOpen(rows, this.options.box, "source");
    await this.reload();
  }

  /** Reloads when the table changed since the last load (one small query). */
  async refreshIfChanged(): Promise<void> {
    if ((await sourcesStamp(this.options.db)) !== this.stamp) await this.reload();
  }

  /** Reads every source again (after a write, and when the poll sees a change). */
  async reload(): Promise<void> {
    const stamp = await sourcesStamp(this.options.db);
    const rows = await listSourceRows(this.options.db);
    const live = new Map<string, LiveSource>();
    for (const row of rows) {
      if (row.enabled !== 1) continue;
      const definition = sourceByName(row.kind);
      if (definition === undefined) {
        this.options.log.error({ source: row.id }, `stored source has unknown kind "${row.kind}"`);
        continue;
      }
      try {
        const source = decodeSourceRow(row, this.options.box);
        const base = { source: definition, sourceId: source.id, dedupeScope: `${source.id}/` };
        const previousUntil = source.previous ? Date.parse(source.previous.expiresAt) : 0;
        live.set(row.id, {
          current: { ...base, secrets: [source.secret] },
          withPrevious: source.previous
            ? { ...base, secrets: [source.secret, source.previous.secret] }
            : undefined,
          previousUntil: Number.isNaN(previousUntil) ? 0 : previousUntil,
        });
      } catch (error) {
        this.options.log.error(
          { source: row.id, err: error },
          "a stored source cannot be read; its route answers 404",
        );
      }
    }
    this.live = live;
    this.stamp = stamp;
  }

  /** Polls the store so changes made by other processes are seen. */
  startPolling(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.refreshIfChanged().catch((error: unknown) =>
        this.options.log.warn({ err: error }, "could not reload sources"),
      );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the poll. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * An enabled source and the secrets that may sign for it now: during a rotation's grace, the
   * new one and the previous one; from the instant the grace ends, the new one only. Undefined
   * for an unknown or disabled id alike.
   */
  lookup(id: string): SourceReceiver | undefined {
    const live = this.live.get(id);
    if (live === undefined) return undefined;
    if (live.withPrevious !== undefined && this.now() < live.previousUntil) {
      return live.withPrevious;
    }
    return live.current;
  }

  /** How many enabled sources are loaded. */
  get size(): number {
    return this.live.size;
  }
}
