/**
 * The sources service as its callers see it: the directory the per-source route reads
 * (`source-directory.ts`) and the CRUD the API calls (`source-crud.ts`), behind one object.
 */
import type { SourceReceiver } from "../../sources/source.js";
import type { SourceCrud } from "./source-crud.js";
import type { SourceDirectory } from "./source-directory.js";
import type { SourceCreate, SourcePatch, SourceView } from "./source-schemas.js";

export { ReadOnlySourceError, SourceInputError } from "./source-errors.js";
export { SOURCE_ID_PREFIX, sourceWebhookPath } from "./source-id.js";

/** Directory and CRUD of the sources managed through the API. */
export class Sources {
  constructor(
    readonly directory: SourceDirectory,
    readonly crud: SourceCrud,
  ) {}

  /** See `SourceDirectory.load`. */
  load(): Promise<void> {
    return this.directory.load();
  }

  /** See `SourceDirectory.startPolling`. */
  startPolling(intervalMs: number): void {
    this.directory.startPolling(intervalMs);
  }

  /** See `SourceDirectory.stop`. */
  stop(): void {
    this.directory.stop();
  }

  /** See `SourceDirectory.lookup`: what the per-source route calls for every request. */
  lookup(id: string): SourceReceiver | undefined {
    return this.directory.lookup(id);
  }

  /** See `SourceCrud.create`. */
  create(input: SourceCreate, origin: string): Promise<SourceView> {
    return this.crud.create(input, origin);
  }

  /** See `SourceCrud.update`. */
  update(id: string, patch: SourcePatch, origin: string): Promise<SourceView | undefined> {
    return this.crud.update(id, patch, origin);
  }

  /** See `SourceCrud.remove`. */
  remove(id: string): Promise<boolean> {
    return this.crud.remove(id);
  }

  /** See `SourceCrud.view`. */
  view(id: string, origin: string): Promise<SourceView | undefined> {
    return this.crud.view(id, origin);
  }

  /** See `SourceCrud.list`. */
  list(origin: string): Promise<SourceView[]> {
    return this.crud.list(origin);
  }
}
