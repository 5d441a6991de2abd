import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildShipcast, spawnShipcast } from "../helpers/child-shipcast.js";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.js";
import { eventually, SECRETS } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

const MB = 1024 * 1024;

/** Resident memory of a process, from /proc (Linux). */
function rss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** The highest RSS of `pid` while `work` runs, sampled every 10 ms. */
async function peakRss<T>(pid: number, work: Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = rss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 10);
  try {
    const result = await work;
    peak = Math.max(peak, rss(pid));
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

interface Outcome {
  status?: number;
  retryAfter?: string;
  /** The connection was closed before an answer could be read. */
  cut?: string;
}

/** POSTs `body` with a Content-Length; resolves with the answer or how the connection ended. */
function post(url: string, headers: Record<string, string>, body: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": body.length, ...headers },
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode, retryAfter: res.headers["retry-after"] });
    });
    req.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ cut: error.code ?? error.message }),
    );
    req.end(body);
  });
}

describe("bytes held in memory by unauthenticated senders (a real process, 25 MB bodies)", () => {
  let database: TestDatabase;
  let shipcast: ChildShipcast;
  // One 25 MB body for every sender: the test's own memory stays small.
  const body = Buffer.alloc(25 * MB, "x");
  let baseline: number;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    shipcast = await spawnShipcast({
      DATABASE_URL: database.url,
      WEBHOOK_SECRET: SECRETS.github,
      GITLAB_WEBHOOK_SECRET: SECRETS.gitlab,
      // The defaults: MAX_PAYLOAD_BYTES 25 MB, MAX_INFLIGHT_BYTES 4 × that.
    });
    const warm = await post(
      `${shipcast.url}/api/gitlab/webhooks`,
      { "x-gitlab-token": SECRETS.gitlab },
      Buffer.from("{}"),
    );
    expect(warm.status).toBe(202);
    baseline = rss(shipcast.child.pid as number);
  }, 30_000);

  afterAll(async () => {
    await shipcast?.stop();
    await database?.drop();
  });

  it("40 concurrent 25 MB bodies with a wrong GitLab token are refused without being read", async () => {
    const senders = Array.from({ length: 40 }, () =>
      post(`${shipcast.url}/api/gitlab/webhooks`, { "x-gitlab-token": "wrong" }, body),
    );
    const { peak, result } = await peakRss(shipcast.child.pid as number, Promise.all(senders));
    // Buffering them would take 1 GB; refused from the header, they take next to nothing.
    expect(peak - baseline).toBeLessThan(64 * MB);
    for (const outcome of result) {
      if (outcome.cut === undefined) expect(outcome.status).toBe(401);
    }
    expect(result.filter((o) => o.status === 401).length).toBeGreaterThan(0);
  }, 20_000);

  it("40 concurrent 25 MB bodies with a wrong GitHub signature hold at most MAX_INFLIGHT_BYTES", async () => {
    // GitHub's signature covers the body, so these must be read: only the budget bounds them.
    const signature = githubSignature(SECRETS.github, "another body");
    const senders = Array.from({ length: 40 }, () =>
      post(`${shipcast.url}/api/github/webhooks`, { "x-hub-signature-256": signature }, body),
    );
    const { peak, result } = await peakRss(shipcast.child.pid as number, Promise.all(senders));
    // 100 MB of budget plus what reading costs around it; buffering all would take 1 GB.
    expect(peak - baseline).toBeLessThan(250 * MB);
    for (const outcome of result) {
      if (outcome.cut !== undefined) continue;
      expect([401, 503]).toContain(outcome.status);
      if (outcome.status === 503) expect(outcome.retryAfter).toMatch(/^\d+$/);
    }
    expect(result.filter((o) => o.status === 401).length).toBeGreaterThan(0);
    expect(result.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    expect((await fetch(`${shipcast.url}/healthz`)).status).toBe(200);
  }, 20_000);
});

/** A signed GitHub ping of exactly `size` bytes. */
function signedPing(size: number): { body: Buffer; headers: Record<string, string> } {
  const prefix = '{"zen":"';
  const body = Buffer.from(`${prefix}${"z".repeat(size - prefix.length - 2)}"}`);
  return {
    body,
    headers: {
      "x-github-event": "ping",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": githubSignature(SECRETS.github, body),
    },
  };
}

interface HeldRequest {
  /** Resolves with the answer, whenever it comes. */
  answer: Promise<Outcome>;
  /** Sends the rest of the body. */
  finish(): void;
  /** Closes the connection without finishing. */
  abort(): void;
}

/**
 * A signed request that sends all but the last byte of its body (with a Content-Length, or
 * chunked) and then waits: its bytes stay in flight until `finish`.
 */
function held(url: string, size: number, chunked: boolean): HeldRequest {
  const { body, headers } = signedPing(size);
  const req = request(`${url}/api/github/webhooks`, {
    method: "POST",
    agent: false,
    headers: {
      "content-type": "application/json",
      ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": body.length }),
      ...headers,
    },
  });
  const answer = new Promise<Outcome>((resolve) => {
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode, retryAfter: res.headers["retry-after"] });
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ cut: error.code }));
  });
  req.write(body.subarray(0, -1));
  return { answer, finish: () => req.end(body.subarray(-1)), abort: () => req.destroy() };
}

const RESERVED = [
  ["reserved by Content-Length", false],
  ["reserved as chunks arrive", true],
] as const;

describe("MAX_INFLIGHT_BYTES: 8 MB, bodies of 3 MB (a real process)", () => {
  let database: TestDatabase;
  let shipcast: ChildShipcast;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    shipcast = await spawnShipcast({
      DATABASE_URL: database.url,
      WEBHOOK_SECRET: SECRETS.github,
      MAX_PAYLOAD_BYTES: String(4 * MB),
      MAX_INFLIGHT_BYTES: String(8 * MB),
    });
  }, 30_000);

  afterAll(async () => {
    await shipcast?.stop();
    await database?.drop();
  });

  it.each(RESERVED)(
    "%s: answers 503 with Retry-After to the body beyond the cap, and 202 to those within it",
    async (_name, chunked) => {
      // Three 3 MB bodies at once against 8 MB: two fit, whichever arrive first; one does not.
      const requests = [0, 1, 2].map(() => held(shipcast.url, 3 * MB, chunked));
      const first = await Promise.race(requests.map((r, i) => r.answer.then((a) => ({ a, i }))));
      expect(first.a.status).toBe(503);
      expect(first.a.retryAfter).toMatch(/^[1-9]\d*$/);
      const within = requests.filter((_r, i) => i !== first.i);
      for (const r of within) r.finish();
      for (const r of within) expect((await r.answer).status).toBe(202);
      // Every reservation was given back: the whole cap is free again.
      const again = [0, 1].map(() => held(shipcast.url, 3 * MB, chunked));
      for (const r of again) r.finish();
      for (const r of again) expect((await r.answer).status).toBe(202);
    },
    20_000,
  );

  it.each(RESERVED)(
    "%s: gives the reservations back when senders vanish mid-body",
    async (_name, chunked) => {
      const requests = [0, 1, 2].map(() => held(shipcast.url, 3 * MB, chunked));
      const refused = await Promise.race(requests.map((r, i) => r.answer.then(() => i)));
      // The other two hold their bytes: both leave without finishing.
      const vanishing = requests.filter((_r, i) => i !== refused);
      for (const r of vanishing) r.abort();
      await Promise.all(vanishing.map((r) => r.answer));
      // Once the server has seen them go, two 3 MB bodies fit side by side again.
      const both = await eventually(async () => {
        const pair = [0, 1].map(() => held(shipcast.url, 3 * MB, chunked));
        for (const r of pair) r.finish();
        const statuses = await Promise.all(pair.map((r) => r.answer.then((a) => a.status)));
        return statuses.every((s) => s === 202) ? statuses : undefined;
      }, 5_000);
      expect(both).toEqual([202, 202]);
    },
    20_000,
  );
});
