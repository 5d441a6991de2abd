/**
 * One process per SQLite file. SQLite is safe for several connections, but Shipcast's SQLite
 * engine is built for one process (it frees every delivery lease at start, and claims without
 * `SKIP LOCKED`): a second server on the same file would send deliveries twice. So a process
 * that opens the file holds a lock on a side database, `<file>.lock`, for as long as it runs.
 *
 * The lock is SQLite's own: a write transaction kept open on the side database (WAL mode, so
 * that others can still read who holds it). It lives in the operating system's file locks,
 * which die with the process: after a crash or a `kill -9` the next start takes it at once.
 */
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import BetterSqlite3 from "better-sqlite3";

/** Who holds the lock, as written in the side database for the message of the next comer. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holding process started. */
  startedAt: string;
  /** What holds it: `shipcast serve`, `shipcast rotate-key`. */
  command: string;
}

/** A held lock; `release` lets the next process in (the process's death does too). */
export interface SqliteLock {
  /** The side database that carries the lock. */
  readonly lockFile: string;
  release(): void;
}

/** Another live process holds the SQLite file. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
  constructor(
    readonly file: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      `the SQLite file ${file} is in use by ${describeHolder(holder)}. One process per SQLite ` +
        "file: stop that process first, or use PostgreSQL (DATABASE_URL=postgres://…) to run several",
    );
  }
}

/** `shipcast serve (pid 4242 on web-1, started 2025-05-01T10:00:00.000Z)`. */
export function describeHolder(holder: LockHolder | undefined): string {
  return holder
    ? `${holder.command} (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})`
    : "another process";
}

/** Where the lock of a SQLite file lives: beside it, on the file's real path. */
export function lockFileOf(file: string): string {
  let dir = dirname(file);
  try {
    dir = realpathSync(dir);
  } catch {
    // The folder does not exist yet: the path as given is the only name it has.
  }
  return join(dir, `${basename(file)}.lock`);
}

const SQLITE_BUSY = /^SQLITE_BUSY/;

/**
 * Takes the lock of the SQLite database `file` for this process, or throws `StoreLockedError`
 * naming the process that holds it. `command` says who takes it, for that message.
 */
export function lockSqliteFile(file: string, command: string): SqliteLock {
  const lockFile = lockFileOf(file);
  const db = new BetterSqlite3(lockFile);
  try {
    // Waiting a little here covers two processes creating the side database at once.
    db.pragma("busy_timeout = 2000");
    db.pragma("journal_mode = WAL");
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holder'")
      .get();
    if (!exists) {
      db.exec(
        `CREATE TABLE IF NOT EXISTS holder (
           id INTEGER PRIMARY KEY CHECK (id = 1),
           pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL,
           command TEXT NOT NULL, token TEXT NOT NULL)`,
      );
    }
    // From here on a busy lock means another holder: never wait for it.
    db.pragma("busy_timeout = 0");
    const me = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      command,
      token: randomBytes(12).toString("hex"),
    };
    const read = db.prepare<[], LockHolder & { token: string }>(
      "SELECT pid, host, started_at AS startedAt, command, token FROM holder WHERE id = 1",
    );
    const write = db.prepare(
      `INSERT INTO holder (id, pid, host, started_at, command, token)
       VALUES (1, @pid, @host, @startedAt, @command, @token)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
         started_at = excluded.started_at, command = excluded.command, token = excluded.token`,
    );
    // The held lock is an open write transaction, and what it writes nobody else can read: so
    // the row naming the holder is committed first, and the lock taken again to be kept. A
    // process slipping in between is found by the check of the row, and the round repeated.
    for (let round = 0; round < 20; round++) {
      try {
        db.exec("BEGIN IMMEDIATE");
      } catch (error) {
        if (!SQLITE_BUSY.test((error as { code?: string }).code ?? "")) throw error;
        const holder = read.get();
        // Our own row means the other process is between its two steps: look again.
        if (holder?.token === me.token) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        throw new StoreLockedError(file, holder && withoutToken(holder));
      }
      if (read.get()?.token === me.token) {
        let released = false;
        return {
          lockFile,
          release() {
            if (released) return;
            released = true;
            if (db.inTransaction) db.exec("ROLLBACK");
            db.close();
          },
        };
      }
      write.run(me);
      db.exec("COMMIT");
    }
    throw new StoreLockedError(file, undefined);
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

function withoutToken(row: LockHolder & { token: string }): LockHolder {
  return { pid: row.pid, host: row.host, startedAt: row.startedAt, command: row.command };
}
