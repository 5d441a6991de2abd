/**
 * The benchmarks' child processes and scratch space: starting a server in its own process,
 * waiting until it is ready, stopping or killing it, and removing temporary folders, so that no
 * child or folder outlives the run however it ends.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { ReadyMessage } from "./servers/child.js";

/** The project's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every child still running; killed on any exit of the parent. */
const live = new Set<ChildProcess>();
/** Temporary folders removed on any exit of the parent, signals included. */
const scratch = new Set<string>();

/** `--import` target that lets a child node process run TypeScript (tsx's loader). */
const TSX_LOADER = import.meta.resolve("tsx");

process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
/** Clean-ups an interrupted run still owes (a PostgreSQL schema to drop); see `onInterrupt`. */
const owed = new Set<() => Promise<void>>();
/** Set once a signal arrived: the signal handler exits, not the failing run it interrupted. */
let interrupted = false;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    console.error(`\n${signal}: stopping the benchmark servers`);
    interrupted = true;
    for (const child of live) child.kill("SIGKILL");
    // `finally` blocks never run after process.exit: do what they would have, for a while.
    const cleanups = Promise.allSettled([...owed].map((cleanup) => cleanup()));
    await Promise.race([cleanups, new Promise((r) => setTimeout(r, 5000))]);
    process.exit(130);
  });
}

/**
 * Runs `cleanup` if the run is interrupted by a signal before `settled()` is called, which
 * the normal path calls once it has cleaned up itself.
 */
export function onInterrupt(cleanup: () => Promise<void>): { settled(): void } {
  owed.add(cleanup);
  return { settled: () => owed.delete(cleanup) };
}

/** Our environment, with tsx pointed at the project's tsconfig, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json"), ...extra };
}

/** Prefixes each line a child writes, so its output cannot be mistaken for the results. */
function relay(stream: Readable | null, label: string): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => {
    process.stderr.write(`  [${label}] ${line}\n`);
  });
}

export interface StartOptions {
  /** Shown in front of the child's output and in errors. */
  label: string;
  /** TypeScript (or JavaScript) entry point, absolute path. */
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Open an IPC channel (the bench servers report their port through it). */
  ipc?: boolean;
}

/** A benchmark server running in its own process. */
export interface Child {
  label: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Starts `node --import tsx <script>` with its own event loop. */
export function startChild(options: StartOptions): Child {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", TSX_LOADER, options.script],
    {
      cwd: options.cwd,
      env: options.env,
      stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
    },
  );
  live.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
  });
  child.once("error", (error) => {
    console.error(`  [${options.label}] could not start: ${error.message}`);
  });
  relay(child.stdout, options.label);
  relay(child.stderr, options.label);
  return { label: options.label, process: child, exited };
}

/** Rejects if the child exits before `ready` settles, so a crash is reported, not waited on. */
function failOnExit<T>(child: Child, ready: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${child.label} was not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${child.label} exited (${how}) before it was ready`));
    });
    ready.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Waits for a bench server's `{type: "ready", port}` IPC message. */
export function waitForReadyMessage(child: Child, timeoutMs = 30_000): Promise<number> {
  const ready = new Promise<number>((resolve) => {
    const onMessage = (message: unknown) => {
      const ready = message as Partial<ReadyMessage>;
      if (ready.type === "ready" && typeof ready.port === "number") {
        child.process.off("message", onMessage);
        resolve(ready.port);
      }
    };
    child.process.on("message", onMessage);
  });
  return failOnExit(child, ready, timeoutMs);
}

/** Polls `url` until it answers 200. */
export function waitForHttpOk(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  let gaveUp = false;
  const ready = (async () => {
    while (!gaveUp) {
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return failOnExit(child, ready, timeoutMs).finally(() => {
    gaveUp = true;
  });
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`; resolves with how it ended. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<number | string> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill("SIGTERM");
    const timer = setTimeout(() => {
      console.error(`  [${child.label}] did not stop within ${graceMs} ms: killing it`);
      child.process.kill("SIGKILL");
    }, graceMs);
    try {
      return await child.exited;
    } finally {
      clearTimeout(timer);
    }
  }
  return child.exited;
}

/** SIGKILL (`kill -9`): the child dies at once, mid-whatever; resolves once it has exited. */
export async function killChild(child: Child): Promise<number | string> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill("SIGKILL");
  }
  return child.exited;
}

/** A scratch folder, removed when the benchmark exits however it exits (or with `removeNow`). */
export function scratchDir(prefix: string): { dir: string; removeNow(): void } {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  scratch.add(dir);
  return {
    dir,
    removeNow() {
      scratch.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port free on 127.0.0.1 right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePort(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

/** A running process's resident set size in bytes (Linux `/proc`), or NaN when unknown. */
export function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs a benchmark's `main` and exits with its code: 1 when it throws (the error printed), and
 * every child killed whatever happened.
 */
export async function runEntry(what: string, main: () => Promise<number>): Promise<never> {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    // Killed children make the run fail; the signal handler is cleaning up and will exit.
    if (interrupted) await new Promise(() => {});
    console.error(
      `\n${what} failed:`,
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
    code = 1;
  } finally {
    for (const child of live) child.kill("SIGKILL");
  }
  process.exit(code);
}
