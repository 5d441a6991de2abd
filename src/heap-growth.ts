import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the old generation grow past what survived its last full collection, in
 * percent, for `shipcast serve`. V8 picks a factor of up to 4× by itself; a server that keeps a
 * steady stream of short-lived work (a delivery backlog draining: rows, requests, answers) then
 * holds three times its live heap in garbage before collecting, and its RSS shows it. 1.5×
 * collects earlier, at no throughput cost the delivery benchmark can measure. No cap: a burst
 * that needs memory (large payloads) still gets it, the heap just grows in smaller steps.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applies `HEAP_GROWING_PERCENT` unless the operator set `--heap-growing-percent` themselves
 * (`node --heap-growing-percent=…` or `NODE_OPTIONS`). V8 reads the flag at every full
 * collection, so setting it once the process runs takes effect from the next one. Returns
 * whether it applied it.
 */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? "",
): boolean {
  if ([...execArgv, nodeOptions].some((option) => option.includes("heap-growing-percent"))) {
    return false;
  }
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
