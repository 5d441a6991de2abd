/**
 * The webhook receiver of the delivery benchmark and the chaos run (bench/servers/receiver.ts),
 * started in its own process, and what the bench asks it.
 */
import { join } from "node:path";
import {
  type Child,
  childEnv,
  ROOT,
  startChild,
  stopChild,
  waitForReadyMessage,
} from "./processes.js";
import type { Arrival, ArrivalCount, KeptBody } from "./servers/receiver.js";

export type { Arrival, ArrivalCount, KeptBody };

/** A running receiver. */
export interface Receiver {
  child: Child;
  port: number;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  count(): Promise<ArrivalCount>;
  arrivals(): Promise<Arrival[]>;
  /** The bodies received, when started with `keepBodies`. */
  bodies(): Promise<KeptBody[]>;
  /** Forgets every arrival and body. */
  reset(): Promise<void>;
  stop(): Promise<number | string>;
}

export interface ReceiverOptions {
  /** Verify `X-Hub-Signature-256` with this secret; a bad one is answered 401 and counted. */
  secret?: string;
  /** Keep every body received. */
  keepBodies?: boolean;
}

async function getJson<T>(url: string, method = "GET"): Promise<T> {
  const response = await fetch(url, { method });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Starts a receiver and waits until it listens. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const env: Record<string, string> = {};
  if (options.secret !== undefined) env.RECEIVER_SECRET = options.secret;
  if (options.keepBodies) env.RECEIVER_KEEP_BODIES = "true";
  const child = startChild({
    label: "receiver",
    script: join(ROOT, "bench/servers/receiver.ts"),
    cwd: ROOT,
    env: childEnv(env),
    ipc: true,
  });
  const port = await waitForReadyMessage(child);
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    base,
    count: () => getJson<ArrivalCount>(`${base}/_bench/count`),
    arrivals: () => getJson<Arrival[]>(`${base}/_bench/arrivals`),
    bodies: () => getJson<KeptBody[]>(`${base}/_bench/bodies`),
    reset: async () => {
      await getJson(`${base}/_bench/arrivals`, "DELETE");
    },
    stop: () => stopChild(child),
  };
}
