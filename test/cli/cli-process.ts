import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The launcher `npx shipcast` runs. */
export const BIN = fileURLToPath(new URL("../../bin/shipcast.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** An empty working directory, so that no developer's `.env` or `shipcast.yml` is read. */
export const EMPTY_DIR = mkdtempSync(join(tmpdir(), "shipcast-cli-"));
process.once("exit", () => rmSync(EMPTY_DIR, { recursive: true, force: true }));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The whole environment besides PATH: nothing leaks in from the test process. */
  env?: Record<string, string>;
  cwd?: string;
}

function start(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? EMPTY_DIR,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs `shipcast <args>` as a real process and resolves with its exit code and output. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = start(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `shipcast` process that keeps running (`events tail`), read while it runs. */
export function startCli(args: string[], options: CliOptions = {}) {
  const child = start(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves once the output satisfies `test`; rejects after `timeoutMs`. */
    async waitFor(test: (stdout: string, stderr: string) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(stdout, stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`shipcast ${args.join(" ")} never printed what was awaited:
stdout: ${stdout}
stderr: ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** Sends `signal` and resolves with the exit code. */
    async stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
      child.kill(signal);
      return closed;
    },
  };
}

/** The JSON a `--json` command printed. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
