import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * WAL checkpoints of a SQLite file, on a thread of their own. SQLite copies the write-ahead log
 * back into the database every so many pages, in whichever commit crosses the mark, with two
 * fsyncs: on the one thread of the process, tens of milliseconds during which nothing else runs.
 * A second connection on a worker thread checkpoints every `intervalMs` instead (`PASSIVE`: it
 * never waits for, nor blocks, the main connection), so the main connection's commits only
 * append. Its own automatic checkpoint stays as a backstop, at a larger size.
 */
export interface Checkpointer {
  close(): Promise<void>;
}

/** Pages of WAL after which the main connection checkpoints itself, should the thread lag. */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 1000");
// A checkpoint copies pages from the log to the file; it needs no cache of its own.
db.pragma("cache_size = -256");
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or closing: the next tick, or the main connection's own checkpoint, does it.
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Starts checkpointing `file` (a WAL-mode SQLite database) on a worker thread. */
export function startCheckpointer(file: string, intervalMs = 250): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs },
    // It holds next to nothing: a small heap keeps the thread from adding to the process's RSS.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
  });
  // The thread only helps: should it fail, the main connection checkpoints by itself.
  worker.on("error", () => {});
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    async close() {
      // Held while closing: an unreferenced thread alone would let the process end mid-close.
      worker.ref();
      worker.postMessage("close");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
