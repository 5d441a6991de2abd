import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { limitHeapGrowth } from "../src/heap-growth.js";

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL("../src/heap-growth.ts", import.meta.url));

/**
 * A process that keeps a live set and churns objects that live long enough to be promoted
 * (a ring of recent ones), like a draining backlog; prints the largest heap it saw.
 */
const CHURN = `
const limit = process.argv[1] === "limit";
if (limit) (await import(${JSON.stringify(MODULE)})).limitHeapGrowth([], "");
const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: "live-" + i }));
const ring = new Array(200_000);
let max = 0;
for (let n = 0; n < 6_000_000; n++) {
  ring[n % ring.length] = { n, s: "garbage-" + n, a: [n, n + 1] };
  if (n % 100_000 === 0) max = Math.max(max, process.memoryUsage().heapTotal);
}
console.log(JSON.stringify({ max, live: live.length }));
`;

async function largestHeap(mode: "limit" | "default"): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", CHURN, mode],
    { env: { ...process.env, NODE_OPTIONS: "" }, timeout: 60_000 },
  );
  return (JSON.parse(stdout.trim()) as { max: number }).max;
}

describe("heap growth of shipcast serve", () => {
  it("keeps the heap of a churning process far below what V8 grows to by default", async () => {
    const [limited, unlimited] = await Promise.all([largestHeap("limit"), largestHeap("default")]);
    expect(limited).toBeLessThan(unlimited * 0.75);
  }, 90_000);

  it("leaves an operator's own --heap-growing-percent alone", () => {
    expect(limitHeapGrowth(["--heap-growing-percent=300"], "")).toBe(false);
    expect(limitHeapGrowth([], "--max-old-space-size=512 --heap-growing-percent=10")).toBe(false);
  });
});
