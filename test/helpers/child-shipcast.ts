import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
// Resolved here so the child can run from any working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface ChildShipcast {
  child: ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL: the process dies at once, mid-whatever. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
}

/** What `spawnShipcast` waits for: the line that says the server listens, with its port. */
export const LISTENING = /listening on http:\/\/[^:]+:(\d+)/;

/**
 * Shipcast as a real child process, started the way `npm start` starts it (tsx src/main.ts), on
 * an ephemeral loopback port, with local networks allowed (test receivers are on loopback) unless
 * `env` says otherwise; resolves once it logs that it is listening (or `waitFor`, whose first
 * group is the port).
 */
export async function spawnShipcast(
  env: Record<string, string>,
  cwd: string = ROOT,
  waitFor: RegExp = LISTENING,
): Promise<ChildShipcast> {
  const child = spawn(process.execPath, ["--import", TSX, MAIN], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      // Test receivers listen on 127.0.0.1, which the network guard blocks unless told otherwise.
      ALLOW_LOCAL_NETWORK: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Shipcast did not start:\n${text}`)), 20_000);
    const check = () => {
      const match = waitFor.exec(text);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Shipcast exited with ${code} before listening:\n${text}`));
    });
  });

  return {
    child,
    url,
    output: () => text,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
