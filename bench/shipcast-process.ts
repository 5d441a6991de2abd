/**
 * Shipcast as the benchmarks run it: `src/main.ts` in its own process, the way `npm start` runs
 * it, on a loopback port, with only the settings the bench gives it. It can be stopped cleanly,
 * killed with SIGKILL and started again on the same port (the chaos run).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { envSchema } from "../src/config/env.js";
import {
  type Child,
  childEnv,
  freePort,
  killChild,
  ROOT,
  rssBytes,
  startChild,
  stopChild,
  waitForHttpOk,
} from "./processes.js";

export interface ShipcastOptions {
  /** Shown in front of its output. */
  label: string;
  /** Working directory: a scratch folder, where no `.env` can change the configuration. */
  cwd: string;
  /** `sqlite:<file>` or `postgres://…`. */
  databaseUrl: string;
  /** Settings beyond the address and the store: secrets, routing file, concurrency, … */
  settings: Record<string, string>;
  /** A folder: run with `--cpu-prof` and write the profile there. */
  cpuProfDir?: string;
}

/** Shipcast's environment: none of its settings inherited from ours, only the bench's. */
function shipcastEnv(port: number, options: ShipcastOptions): NodeJS.ProcessEnv {
  const env = childEnv();
  for (const name of Object.keys(envSchema.shape)) delete env[name];
  return {
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: "warn",
    ...options.settings,
  };
}

/** One Shipcast process; `start` resolves once `/readyz` answers 200. */
export class ShipcastProcess {
  /** Times it was started, the first start included. */
  starts = 0;
  private child: Child | undefined;

  private constructor(
    readonly options: ShipcastOptions,
    readonly port: number,
  ) {}

  /** Starts Shipcast on a free port and waits until it answers. */
  static async start(options: ShipcastOptions): Promise<ShipcastProcess> {
    const shipcast = new ShipcastProcess(options, await freePort());
    await shipcast.restart();
    return shipcast;
  }

  /** `http://127.0.0.1:<port>`. */
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.process.pid : undefined;
  }

  get running(): boolean {
    const process = this.child?.process;
    return process !== undefined && process.exitCode === null && process.signalCode === null;
  }

  /** Resident set size of the process now, in bytes (NaN when not running or unknown). */
  rss(): number {
    return rssBytes(this.pid);
  }

  /**
   * Starts the process (again, on the same port) and waits until `/readyz` answers 200: the store
   * is open and the real server listens. (`/healthz` answers 200 from the start-up server already,
   * while every other request still gets 503 and the hand-over to the real server resets the
   * connections open then.)
   */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.options.label} is already running`);
    const nodeArgs: string[] = [];
    if (this.options.cpuProfDir) {
      const dir = resolve(this.options.cpuProfDir);
      mkdirSync(dir, { recursive: true });
      nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
    }
    this.child = startChild({
      label: this.options.label,
      script: join(ROOT, "src/main.ts"),
      cwd: this.options.cwd,
      env: shipcastEnv(this.port, this.options),
      nodeArgs,
    });
    this.starts++;
    await waitForHttpOk(this.child, `${this.base}/readyz`);
  }

  /** SIGKILL: dies at once, mid-whatever; resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.child) await killChild(this.child);
  }

  /** SIGTERM (SIGKILL after a grace period); resolves with how it ended. */
  async stop(): Promise<number | string> {
    return this.child ? stopChild(this.child) : "never started";
  }
}
