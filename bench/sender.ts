/**
 * The event sender of the delivery benchmark and the chaos run: posts signed Netlify events to
 * Shipcast, a pool of senders at a time, and counts an event as acknowledged only on a 202 with
 * its event id. With `attempts` above 1 it behaves as a careful sender does: anything but a 202
 * (another status, a reset connection, a refused one while Shipcast restarts) is retried after a
 * short backoff, on the next Shipcast process when there are several, up to the bound.
 *
 * It posts through undici's dispatcher API (`request`), not `fetch`: on a machine of few cores
 * the sender shares them with Shipcast, and `fetch` costs several times the request itself (its
 * streams and clones), CPU the measured process would not have in production, where senders run
 * elsewhere.
 */
import { request } from "undici";
import { type BenchEvent, NETLIFY_PATH } from "./events.js";

/** Epoch milliseconds with sub-millisecond resolution (the receiver uses the same clock). */
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SendOptions {
  /** Shipcast processes' bases; events go to each in turn, a retry to the next one. */
  bases: string[];
  /** Events in flight at once. */
  senders: number;
  /** Tries per event, the first included (1: no retry). */
  attempts: number;
  /** Per-request timeout in milliseconds (a retry follows when attempts remain). */
  timeoutMs?: number;
  /** Called once an event is acknowledged (the chaos run's progress). */
  onAck?: (acknowledged: number) => void;
  /** No new event is started after this time (`performance.now()`): the run's time bound. */
  deadline?: number;
}

export interface Ingest {
  /** Acknowledgement time (epoch ms, the first 202) by event id. */
  acks: Map<string, number>;
  /** Answers 202 that said the event was a duplicate (an earlier try was stored unanswered). */
  duplicates: number;
  /** Non-202 answers and errors, every try, by what happened. */
  problems: Record<string, number>;
  /** Tries after the first. */
  retries: number;
  /** Events never acknowledged: every try failed. */
  gaveUp: number;
  /** Events never sent: the deadline came first. */
  unsent: number;
  firstSend: number;
  firstAck: number;
  lastAck: number;
}

/** What happened to one try: the acknowledged event id, or the problem. */
async function post(
  base: string,
  event: BenchEvent,
  timeoutMs: number,
): Promise<{ id: string; duplicate: boolean } | { problem: string }> {
  try {
    const response = await request(`${base}${NETLIFY_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Netlify",
        "x-webhook-signature": event.signature,
      },
      body: event.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode !== 202) return { problem: `HTTP ${response.statusCode}` };
    const answer = JSON.parse(text) as { id?: unknown; duplicate?: unknown };
    if (typeof answer.id !== "string") return { problem: "202 without an event id" };
    return { id: answer.id, duplicate: answer.duplicate === true };
  } catch (error) {
    // undici's errors carry the code themselves (ECONNREFUSED, UND_ERR_SOCKET, …) or in `cause`.
    const { code: own, cause } = error as { code?: unknown; cause?: { code?: unknown } };
    const code =
      typeof own === "string" ? own : typeof cause?.code === "string" ? cause.code : undefined;
    return { problem: code ?? (error instanceof Error ? error.name : String(error)) };
  }
}

/** Posts every event, `senders` at a time, and times each acknowledgement. */
export async function sendEvents(events: BenchEvent[], options: SendOptions): Promise<Ingest> {
  const acks = new Map<string, number>();
  const problems: Record<string, number> = {};
  const timeoutMs = options.timeoutMs ?? 30_000;
  let next = 0;
  let retries = 0;
  let duplicates = 0;
  let gaveUp = 0;
  let unsent = 0;
  let firstAck = Number.POSITIVE_INFINITY;
  let lastAck = 0;
  const firstSend = now();
  const sender = async () => {
    for (;;) {
      const index = next++;
      const event = events[index];
      if (event === undefined) return;
      if (options.deadline !== undefined && performance.now() > options.deadline) {
        unsent++;
        continue;
      }
      let acknowledged = false;
      for (let attempt = 0; attempt < options.attempts && !acknowledged; attempt++) {
        if (attempt > 0) {
          retries++;
          // 50 ms doubling to 1 s, with jitter so the senders do not retry in step.
          await sleep(Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random()));
        }
        const base = options.bases[(index + attempt) % options.bases.length] ?? "";
        const outcome = await post(base, event, timeoutMs);
        if ("problem" in outcome) {
          problems[outcome.problem] = (problems[outcome.problem] ?? 0) + 1;
          continue;
        }
        acknowledged = true;
        const at = now();
        if (outcome.duplicate) duplicates++;
        if (!acks.has(outcome.id)) acks.set(outcome.id, at);
        firstAck = Math.min(firstAck, at);
        lastAck = Math.max(lastAck, at);
        options.onAck?.(acks.size);
      }
      if (!acknowledged) gaveUp++;
    }
  };
  await Promise.all(Array.from({ length: options.senders }, sender));
  return { acks, duplicates, problems, retries, gaveUp, unsent, firstSend, firstAck, lastAck };
}
