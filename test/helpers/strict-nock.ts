import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";

/**
 * Strict nock for the enclosing `describe`: no network (but loopback, when asked), and after
 * each test every mock was used and no request went unmatched.
 */
export function useStrictNock(options: { loopback?: boolean } = {}): { unmatched: string[] } {
  const state = { unmatched: [] as string[] };
  const onNoMatch = (req: { method?: string; path?: string; href?: string; hostname?: string }) => {
    // With `loopback`, requests to this machine (a Shipcast under test) pass through.
    if (options.loopback && req.hostname === "127.0.0.1") return;
    state.unmatched.push(`${req.method ?? "?"} ${req.href ?? req.path ?? "?"}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    if (options.loopback) nock.enableNetConnect("127.0.0.1");
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
  beforeEach(() => {
    state.unmatched.length = 0;
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    const pending = nock.pendingMocks();
    const unmatched = [...state.unmatched];
    nock.cleanAll();
    expect(unmatched, "requests no mock matched").toEqual([]);
    expect(pending, "mocks never requested").toEqual([]);
  });
  return state;
}
