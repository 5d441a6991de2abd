/**
 * The network guard: the classifier, the openings, URL normalization, and the guard as undici's
 * connector under the real outbound client.
 *
 * These tests only ever talk to loopback. Every other address in here must be refused before a
 * connection is attempted; names are resolved by in-process stubs (or by a DNS server stub on
 * 127.0.0.1), never by real DNS.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { Resolver as DnsResolver } from "node:dns/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/env.js";
import { createOutboundHttp } from "../../src/outbound/http-client.js";
import {
  type AddressCategory,
  classifyAddress,
  createNetworkGuard,
  isNetworkGuardRefusal,
  NETWORK_GUARD_ERROR_CODE,
  NetworkGuardError,
  networkGuardRefusal,
  normalizeOutboundUrl,
  parseCidr,
  parseCidrList,
  type Resolver,
  splitCredentials,
} from "../../src/outbound/network-guard.js";

// ---------------------------------------------------------------------------------------------
// Helpers

/** An in-process resolver with fixed answers; records every name it was asked. */
function stubResolver(answers: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    }
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

/** Names the stubs know; none of them is ever looked up for real. */
const NAMES: Record<string, string[]> = {
  "127.0.0.1.nip.io": ["127.0.0.1"],
  "metadata.google.internal": ["169.254.169.254"],
  "internal.example": ["10.0.0.5"],
  // One public and one private answer: any blocked address refuses the name.
  "dual.example": ["8.8.8.8", "10.0.0.7"],
  "mapped.example": ["::ffff:10.0.0.1"],
  "nat64.example": ["64:ff9b::a9fe:a9fe"],
  "cgnat.example": ["100.64.1.2"],
};

interface Receiver {
  server: Server;
  host: string;
  port: number;
  hits: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A tiny HTTP server on `host`; answers 200 with its own address. */
async function startReceiver(host: string, port = 0): Promise<Receiver> {
  const hits: Receiver["hits"] = [];
  const server = createServer((req, res) => {
    hits.push({ path: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "text/plain" }).end(`hello from ${host}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    host,
    port: (server.address() as AddressInfo).port,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Receivers on 127.0.0.1 and 127.0.0.2 on the same port (so only the address differs). */
async function startReceiverPair(): Promise<[Receiver, Receiver]> {
  for (let tries = 0; ; tries++) {
    const first = await startReceiver("127.0.0.1");
    try {
      const second = await startReceiver("127.0.0.2", first.port);
      return [first, second];
    } catch (error) {
      await first.close();
      if (tries >= 5) throw error;
    }
  }
}

/**
 * A DNS server on 127.0.0.1 (UDP) that answers A queries for the names it knows: the n-th query
 * for a name gets the n-th answer of its list (the last one from then on). AAAA queries for a
 * known name get no answer; unknown names get NXDOMAIN. Records every query.
 */
interface DnsStub {
  port: number;
  queries: Array<{ name: string; type: number }>;
  close(): Promise<void>;
}

async function startDnsStub(answers: Record<string, string[]>): Promise<DnsStub> {
  const queries: DnsStub["queries"] = [];
  const served = new Map<string, number>();
  const socket: UdpSocket = createSocket("udp4");
  socket.on("message", (message, remote) => {
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    let offset = 12;
    const labels: string[] = [];
    for (;;) {
      const length = message[offset];
      if (length === undefined || length > 63) return;
      offset += 1;
      if (length === 0) break;
      labels.push(message.toString("latin1", offset, offset + length));
      offset += length;
    }
    if (offset + 4 > message.length) return;
    const type = message.readUInt16BE(offset);
    const questionEnd = offset + 4;
    const name = labels.join(".").toLowerCase();
    queries.push({ name, type });
    const list = answers[name];
    const records: Buffer[] = [];
    if (list !== undefined && type === 1) {
      const index = served.get(name) ?? 0;
      served.set(name, index + 1);
      const address = list[Math.min(index, list.length - 1)] ?? "0.0.0.0";
      records.push(
        Buffer.concat([
          // Name: a pointer to the question's; type A, class IN, TTL 0, 4 bytes of address.
          Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]),
          Buffer.from(address.split(".").map(Number)),
        ]),
      );
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    // Response, authoritative, recursion desired (copied) and available; NXDOMAIN if unknown.
    header.writeUInt16BE(0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (list ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    socket.send(
      Buffer.concat([header, message.subarray(12, questionEnd), ...records]),
      remote.port,
      remote.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A guard resolver asking the DNS stub (A records), as `dns.promises.Resolver` does. */
function stubDnsResolver(stub: DnsStub): Resolver {
  const resolver = new DnsResolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${stub.port}`]);
  return async (hostname) =>
    (await resolver.resolve4(hostname)).map((address) => ({ address, family: 4 }));
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** The guard's refusal inside a rejection; fails the test if there is none. */
async function refusalOf(promise: Promise<unknown>): Promise<NetworkGuardError> {
  const error = await rejection(promise);
  const refusal = networkGuardRefusal(error);
  if (refusal === undefined) throw new Error(`not a refusal: ${String(error)}`, { cause: error });
  return refusal;
}

// ---------------------------------------------------------------------------------------------
// The attack table

/** URL, the category it is refused for, and whether a name had to be resolved. */
const ATTACKS: ReadonlyArray<[string, AddressCategory, "literal" | "resolved"]> = [
  ["http://127.0.0.1/", "loopback", "literal"],
  ["http://127.0.0.1:8080/admin", "loopback", "literal"],
  ["https://127.0.0.1/", "loopback", "literal"],
  ["http://localhost/", "loopback", "literal"],
  ["http://LOCALHOST./", "loopback", "literal"],
  ["http://api.localhost/", "loopback", "literal"],
  ["http://[::1]/", "loopback", "literal"],
  ["http://2130706433/", "loopback", "literal"],
  ["http://0x7f000001/", "loopback", "literal"],
  ["http://0x7f.1/", "loopback", "literal"],
  ["http://0177.0.0.1/", "loopback", "literal"],
  ["http://017700000001/", "loopback", "literal"],
  ["http://127.1/", "loopback", "literal"],
  ["http://127.0.0.1./", "loopback", "literal"],
  ["http://%31%32%37.0.0.1/", "loopback", "literal"],
  ["http://0/", "unspecified", "literal"],
  ["http://0.0.0.0/", "unspecified", "literal"],
  ["http://[::]/", "unspecified", "literal"],
  ["http://[::ffff:127.0.0.1]/", "loopback", "literal"],
  ["http://[::ffff:7f00:1]/", "loopback", "literal"],
  ["http://[::127.0.0.1]/", "loopback", "literal"],
  ["http://[::ffff:0:7f00:1]/", "loopback", "literal"],
  ["http://[64:ff9b::7f00:1]/", "loopback", "literal"],
  ["http://[64:ff9b:1::a00:1]/", "private", "literal"],
  ["http://[2002:7f00:1::]/", "loopback", "literal"],
  // Teredo: the client address is the last 32 bits inverted (80ff:fffe → 127.0.0.1).
  ["http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "loopback", "literal"],
  ["http://[64:ff9b::a9fe:a9fe]/", "metadata", "literal"],
  ["http://[2002:a9fe:a9fe::]/", "metadata", "literal"],
  ["http://[::ffff:169.254.169.254]/", "metadata", "literal"],
  ["http://169.254.169.254/latest/meta-data/", "metadata", "literal"],
  ["http://2852039166/latest/meta-data/", "metadata", "literal"],
  ["http://[fd00:ec2::254]/latest/meta-data/", "metadata", "literal"],
  ["http://169.254.170.2/v2/credentials", "metadata", "literal"],
  ["http://169.254.169.253/", "metadata", "literal"],
  ["http://100.100.100.200/latest/meta-data/", "metadata", "literal"],
  ["http://192.0.0.192/opc/v2/instance/", "metadata", "literal"],
  ["http://10.0.0.1/", "private", "literal"],
  ["http://172.16.5.4/", "private", "literal"],
  ["http://172.31.255.255/", "private", "literal"],
  ["http://192.168.1.1/", "private", "literal"],
  ["http://100.64.0.1/", "cgnat", "literal"],
  ["http://100.127.255.254/", "cgnat", "literal"],
  ["http://[fc00::1]/", "unique-local", "literal"],
  ["http://[fd12:3456::1]/", "unique-local", "literal"],
  ["http://[fe80::1]/", "link-local", "literal"],
  ["http://169.254.1.1/", "link-local", "literal"],
  ["http://224.0.0.1/", "multicast", "literal"],
  ["http://[ff02::1]/", "multicast", "literal"],
  ["http://255.255.255.255/", "broadcast", "literal"],
  ["http://240.0.0.1/", "reserved", "literal"],
  ["http://198.18.0.1/", "reserved", "literal"],
  ["http://192.0.2.10/", "reserved", "literal"],
  ["http://[2001:db8::1]/", "reserved", "literal"],
  ["http://user:pass@127.0.0.1/", "loopback", "literal"],
  ["http://example.com@127.0.0.1/", "loopback", "literal"],
  ["http://example.com:443@10.0.0.1/", "private", "literal"],
  ["http://127.0.0.1.nip.io/", "loopback", "resolved"],
  ["http://metadata.google.internal/computeMetadata/v1/", "metadata", "resolved"],
  ["http://internal.example/", "private", "resolved"],
  ["https://internal.example/", "private", "resolved"],
  ["http://dual.example/", "private", "resolved"],
  ["http://mapped.example/", "private", "resolved"],
  ["http://nat64.example/", "metadata", "resolved"],
  ["http://cgnat.example/", "cgnat", "resolved"],
];

/** The host as the connector sees it: WHATWG-canonical, without brackets. */
function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
}

describe("the attack table, unit level", () => {
  it.each(ATTACKS)("%s is refused as %s", async (url, category, how) => {
    const resolve = stubResolver(NAMES);
    const guard = createNetworkGuard({ resolve });
    const refusal = await refusalOf(guard.check(hostOf(url)));
    expect(refusal.category).toBe(category);
    expect(refusal.code).toBe(NETWORK_GUARD_ERROR_CODE);
    // IP literals and localhost names are never looked up.
    expect(resolve.asked).toEqual(how === "literal" ? [] : [hostOf(url)]);
  });

  it.each(ATTACKS.filter(([url, , how]) => how === "literal" && !/localhost/i.test(url)))(
    "classifyAddress(host of %s) is %s",
    (url, category) => {
      expect(classifyAddress(hostOf(url)).category).toBe(category);
    },
  );
});

describe("the attack table, through createOutboundHttp().fetch (refused by the connector)", () => {
  const resolve = stubResolver(NAMES);
  // A short connect timeout: a refusal that did not happen would fail fast, not hang.
  const http = createOutboundHttp({ connectTimeoutMs: 500, guard: { resolve } });

  it.each(ATTACKS)("%s is refused as %s", async (url, category) => {
    const error = await rejection(http.fetch(url, { method: "POST", body: "{}" }));
    // undici's shape for a connect error: TypeError("fetch failed") caused by the guard.
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("fetch failed");
    expect((error as Error).cause).toBeInstanceOf(NetworkGuardError);
    expect(isNetworkGuardRefusal(error)).toBe(true);
    expect(networkGuardRefusal(error)?.category).toBe(category);
  });

  it("never quotes the URL's path, query or credentials in the reason", async () => {
    const refusal = await refusalOf(
      http.fetch("http://user:s3cret@10.0.0.1/services/T0/B0/tokentokentoken?key=abc"),
    );
    expect(refusal.message).toBe(
      "refused by the network guard: 10.0.0.1 (private network); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    );
  });
});

describe("refusal messages", () => {
  const guard = createNetworkGuard({ resolve: stubResolver(NAMES) });

  it.each([
    [
      "internal.example",
      "refused by the network guard: internal.example resolves to 10.0.0.5 (private network); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    ],
    [
      "169.254.169.254",
      "refused by the network guard: 169.254.169.254 is a cloud metadata address, which is never allowed",
    ],
    [
      "metadata.google.internal",
      "refused by the network guard: metadata.google.internal resolves to 169.254.169.254, a cloud metadata address, which is never allowed",
    ],
    [
      "64:ff9b::a9fe:a9fe",
      "refused by the network guard: 64:ff9b::a9fe:a9fe is the NAT64 form of 169.254.169.254, a cloud metadata address, which is never allowed",
    ],
    [
      "::ffff:7f00:1",
      "refused by the network guard: ::ffff:7f00:1 (loopback, as the IPv4-mapped form of 127.0.0.1); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    ],
    [
      "localhost",
      "refused by the network guard: localhost resolves to 127.0.0.1 (loopback); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    ],
    [
      "224.0.0.1",
      "refused by the network guard: 224.0.0.1 is a multicast address, which is never allowed",
    ],
    [
      "198.18.0.1",
      "refused by the network guard: 198.18.0.1 (reserved: benchmarking); add it to ALLOWED_NETWORKS to allow it",
    ],
  ])("%s", async (host, message) => {
    expect((await refusalOf(guard.check(host))).message).toBe(message);
  });
});

// ---------------------------------------------------------------------------------------------
// The classifier

describe("classifyAddress", () => {
  it.each<[string, AddressCategory]>([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["2606:4700:4700::1111", "public"],
    ["2a00:1450:4001:82b::200e", "public"],
    ["::ffff:8.8.8.8", "public"],
    ["2002:808:808::1", "public"],
    ["64:ff9b::808:808", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.0", "public"],
    ["169.253.255.255", "public"],
    ["127.255.255.255", "loopback"],
    ["0.1.2.3", "unspecified"],
    ["::2", "unspecified"],
    ["192.0.0.8", "reserved"],
    ["203.0.113.7", "reserved"],
    ["198.51.100.1", "reserved"],
    ["192.88.99.1", "reserved"],
    ["3fff::1", "reserved"],
    ["100::1", "reserved"],
    ["5f00::1", "reserved"],
    ["fec0::1", "private"],
    ["febf::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["[::1]", "loopback"],
    ["169.254.170.23", "metadata"],
    ["fd00:ec2::23", "metadata"],
    ["168.63.129.16", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
  ])("%s is %s", (address, category) => {
    expect(classifyAddress(address).category).toBe(category);
  });

  it("says which IPv4 address an IPv6 form carries", () => {
    expect(classifyAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2")).toMatchObject({
      category: "reserved",
      embedded: { form: "Teredo", ipv4: "192.0.2.45" },
    });
    expect(classifyAddress("2002:c000:0204::1").embedded).toEqual({
      form: "6to4",
      ipv4: "192.0.2.4",
    });
  });

  it("throws for a host name", () => {
    expect(() => classifyAddress("example.com")).toThrow(/not an IP address/);
  });
});

// ---------------------------------------------------------------------------------------------
// Openings

describe("openings (ALLOW_LOCAL_NETWORK, ALLOWED_NETWORKS)", () => {
  it("allowLocal opens loopback, private, link-local, CGNAT and unique-local, nothing else", () => {
    const guard = createNetworkGuard({ allowLocal: true });
    for (const address of [
      "127.0.0.1",
      "::1",
      "10.0.0.1",
      "172.16.0.1",
      "192.168.0.1",
      "169.254.1.1",
      "fe80::1",
      "100.64.0.1",
      "fd00::1",
      "::ffff:10.0.0.1",
      "64:ff9b::7f00:1",
    ]) {
      expect(guard.refusal(address), address).toBeUndefined();
    }
    for (const [address, category] of [
      ["169.254.169.254", "metadata"],
      ["fd00:ec2::254", "metadata"],
      ["64:ff9b::a9fe:a9fe", "metadata"],
      ["100.100.100.200", "metadata"],
      ["0.0.0.0", "unspecified"],
      ["::", "unspecified"],
      ["224.0.0.1", "multicast"],
      ["ff02::1", "multicast"],
      ["255.255.255.255", "broadcast"],
      ["198.18.0.1", "reserved"],
      ["240.0.0.1", "reserved"],
    ] as const) {
      expect(guard.refusal(address)?.category, address).toBe(category);
    }
  });

  it("allowedNetworks opens only what it covers, embedded forms included", () => {
    const guard = createNetworkGuard({ allowedNetworks: ["127.0.0.1/32", "fd00:1::/64"] });
    expect(guard.refusal("127.0.0.1")).toBeUndefined();
    expect(guard.refusal("::ffff:127.0.0.1")).toBeUndefined();
    expect(guard.refusal("fd00:1::5")).toBeUndefined();
    expect(guard.refusal("127.0.0.2")?.category).toBe("loopback");
    expect(guard.refusal("::1")?.category).toBe("loopback");
    expect(guard.refusal("fd00:2::5")?.category).toBe("unique-local");
    expect(guard.refusal("10.0.0.1")?.category).toBe("private");
  });

  it("an allowedNetworks entry opens a reserved range; ALLOW_LOCAL_NETWORK does not", () => {
    expect(createNetworkGuard({ allowLocal: true }).refusal("198.18.0.1")?.category).toBe(
      "reserved",
    );
    expect(
      createNetworkGuard({ allowedNetworks: ["198.18.0.0/15"] }).refusal("198.18.0.1"),
    ).toBeUndefined();
  });

  it("metadata, unspecified, multicast and broadcast stay blocked whatever the list covers", () => {
    const guard = createNetworkGuard({
      allowLocal: true,
      allowedNetworks: ["0.0.0.0/0", "::/0", "169.254.169.254/32"],
    });
    expect(guard.refusal("10.0.0.1")).toBeUndefined();
    expect(guard.refusal("169.254.169.1")).toBeUndefined();
    for (const [address, category] of [
      ["169.254.169.254", "metadata"],
      ["169.254.170.2", "metadata"],
      ["169.254.169.253", "metadata"],
      ["fd00:ec2::254", "metadata"],
      ["100.100.100.200", "metadata"],
      ["192.0.0.192", "metadata"],
      ["2002:a9fe:a9fe::", "metadata"],
      ["0.0.0.0", "unspecified"],
      ["::", "unspecified"],
      ["239.255.255.250", "multicast"],
      ["ff05::1:3", "multicast"],
      ["255.255.255.255", "broadcast"],
    ] as const) {
      expect(guard.refusal(address)?.category, address).toBe(category);
    }
  });

  it("localhost is 127.0.0.1 and ::1 without a lookup: a list must cover both", async () => {
    const resolve = stubResolver({});
    const v4Only = createNetworkGuard({ allowedNetworks: ["127.0.0.1/32"], resolve });
    expect((await refusalOf(v4Only.check("localhost"))).message).toContain(
      "localhost resolves to ::1 (loopback)",
    );
    const both = createNetworkGuard({ allowedNetworks: ["127.0.0.1/32", "::1/128"], resolve });
    expect(await both.check("localhost.")).toEqual([
      { address: "127.0.0.1", family: 4 },
      { address: "::1", family: 6 },
    ]);
    expect(resolve.asked).toEqual([]);
  });

  it("passes public addresses and names whose every address is public", async () => {
    const resolve = stubResolver({ "hooks.example": ["93.184.215.14", "2606:2800:21f:cb07::1"] });
    const guard = createNetworkGuard({ resolve });
    expect(await guard.check("hooks.example")).toHaveLength(2);
    expect(await guard.check("8.8.8.8")).toEqual([{ address: "8.8.8.8", family: 4 }]);
  });

  it("passes the resolver's errors through (a DNS failure is not a refusal)", async () => {
    const guard = createNetworkGuard({ resolve: stubResolver({ "empty.example": [] }) });
    const unknown = await rejection(guard.check("unknown.example"));
    expect(isNetworkGuardRefusal(unknown)).toBe(false);
    expect((unknown as { code?: string }).code).toBe("ENOTFOUND");
    const empty = await rejection(guard.check("empty.example"));
    expect((empty as { code?: string }).code).toBe("ENOTFOUND");
  });

  it("bounds a resolver that never answers by the timeout", async () => {
    const guard = createNetworkGuard({ resolve: () => new Promise(() => undefined) });
    const error = await rejection(guard.check("slow.example", 50));
    expect((error as { code?: string }).code).toBe("EAI_AGAIN");
    expect((error as Error).message).toContain("slow.example");
  });
});

// ---------------------------------------------------------------------------------------------
// CIDR parsing and ALLOWED_NETWORKS

describe("parseCidr / parseCidrList", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    [" 192.168.0.0/16 ", "192.168.0.0/16"],
    ["10.1.2.3", "10.1.2.3/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["fd00:1::/64", "fd00:1::/64"],
    ["FD00:0001:0000::/48", "fd00:1::/48"],
    ["::1", "::1/128"],
    ["[::1]/128", "::1/128"],
    ["::ffff:10.0.0.0/104", "::ffff:a00:0/104"],
  ])("%s → %s", (text, canonical) => {
    expect(parseCidr(text).text).toBe(canonical);
  });

  it.each([
    ["10.0.0.0/33", "the prefix length must be a number from 0 to 32 for IPv4"],
    ["fd00::/129", "the prefix length must be a number from 0 to 128 for IPv6"],
    ["10.0.0.0/", "the prefix length must be"],
    ["10.0.0.0/08", "the prefix length must be"],
    ["10.0.0.0/-1", "the prefix length must be"],
    ["10.1.2.3/8", "host bits are set after /8 (did you mean 10.0.0.0/8?)"],
    ["fd00::1/8", "did you mean fd00::/8?"],
    ["10.0.0/8", '"10.0.0" is not an IPv4 or IPv6 address'],
    ["010.0.0.0/8", "is not an IPv4 or IPv6 address"],
    ["example.com/24", "is not an IPv4 or IPv6 address"],
    ["/8", "the address is missing"],
    ["fe80::1%eth0/64", "a zone (%…) is not allowed"],
  ])("rejects %s: %s", (text, why) => {
    expect(() => parseCidr(text)).toThrow(why);
    expect(() => parseCidr(text)).toThrow(`"${text}" is not a CIDR range`);
  });

  it("parses a comma-separated list, skipping empty items", () => {
    expect(parseCidrList("10.0.0.0/8, fd00::/8,,").map((c) => c.text)).toEqual([
      "10.0.0.0/8",
      "fd00::/8",
    ]);
    expect(parseCidrList(["127.0.0.1/32"]).map((c) => c.text)).toEqual(["127.0.0.1/32"]);
    expect(() => parseCidrList("10.0.0.0/8,nope")).toThrow('"nope" is not a CIDR range');
  });

  it("ALLOWED_NETWORKS is validated at start-up", () => {
    expect(loadConfig({ ALLOWED_NETWORKS: "10.0.0.0/8, fd00:1::/64" }).network).toEqual({
      allowLocal: false,
      allowedNetworks: ["10.0.0.0/8", "fd00:1::/64"],
    });
    expect(() => loadConfig({ ALLOWED_NETWORKS: "10.0.0.0/33" })).toThrow(ConfigError);
    expect(() => loadConfig({ ALLOWED_NETWORKS: "10.0.0.0/33" })).toThrow(
      /ALLOWED_NETWORKS: "10\.0\.0\.0\/33" is not a CIDR range/,
    );
  });

  it("createOutboundHttp refuses an invalid allowedNetworks entry", () => {
    expect(() => createOutboundHttp({ guard: { allowedNetworks: ["10.0.0.0/99"] } })).toThrow(
      /is not a CIDR range/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// URLs

describe("URL normalization", () => {
  it.each([
    ["http://2130706433/", "http://127.0.0.1/"],
    ["http://0x7f000001/", "http://127.0.0.1/"],
    ["http://0x7f.1/", "http://127.0.0.1/"],
    ["http://0177.0.0.1/", "http://127.0.0.1/"],
    ["http://017700000001/", "http://127.0.0.1/"],
    ["http://127.1/", "http://127.0.0.1/"],
    ["http://0/", "http://0.0.0.0/"],
    ["http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"],
    ["http://user:pass@Example.COM:80/a?b", "http://example.com/a?b"],
    ["http://example.com@127.0.0.1/", "http://127.0.0.1/"],
    ["https://hooks.example./x", "https://hooks.example./x"],
  ])("%s → %s", (input, href) => {
    expect(normalizeOutboundUrl(input).href).toBe(href);
  });

  it.each([
    ["file:///etc/passwd", "file:"],
    ["ftp://example.com/", "ftp:"],
    ["gopher://127.0.0.1:6379/_INFO", "gopher:"],
    ["data:text/plain,hello", "data:"],
    ["javascript:alert(1)", "javascript:"],
  ])("refuses %s", (input, protocol) => {
    expect(() => normalizeOutboundUrl(input)).toThrow(
      `refused by the network guard: ${protocol} URLs are not allowed (only http and https)`,
    );
  });

  it("refuses a string that is not a URL without quoting it", () => {
    const error = (() => {
      try {
        normalizeOutboundUrl("hooks.example/secret-token");
      } catch (caught) {
        return caught as NetworkGuardError;
      }
      throw new Error("expected a refusal");
    })();
    expect(error).toBeInstanceOf(NetworkGuardError);
    expect(error.category).toBe("url");
    expect(error.message).not.toContain("secret-token");
  });

  it("splitCredentials turns user and password into a Basic header", () => {
    expect(splitCredentials("https://ci%40example:p%3Ass%20w@hooks.example/x")).toEqual({
      url: "https://hooks.example/x",
      authorization: `Basic ${Buffer.from("ci@example:p:ss w").toString("base64")}`,
    });
    expect(splitCredentials("https://token@hooks.example/")).toEqual({
      url: "https://hooks.example/",
      authorization: `Basic ${Buffer.from("token:").toString("base64")}`,
    });
    expect(splitCredentials(new URL("https://hooks.example/x"))).toEqual({
      url: "https://hooks.example/x",
    });
    expect(() => splitCredentials("ftp://u:p@example.com/")).toThrow(NetworkGuardError);
  });

  it("fetch refuses other schemes before any request", async () => {
    const http = createOutboundHttp();
    for (const url of ["file:///etc/passwd", "data:text/plain,hi"]) {
      const refusal = await refusalOf(http.fetch(url));
      expect(refusal.category).toBe("url");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real client, against receivers on loopback

describe("the guarded client against local receivers", () => {
  let pair: [Receiver, Receiver];

  beforeAll(async () => {
    pair = await startReceiverPair();
  });
  afterAll(async () => {
    await Promise.all(pair.map((receiver) => receiver.close()));
  });
  afterEach(() => {
    for (const receiver of pair) receiver.hits.length = 0;
  });

  it("refuses 127.0.0.1 by default; nothing arrives", async () => {
    const [one] = pair;
    const refusal = await refusalOf(createOutboundHttp().fetch(`http://127.0.0.1:${one.port}/`));
    expect(refusal.category).toBe("loopback");
    expect(one.hits).toEqual([]);
  });

  it("with allowLocal reaches 127.0.0.1 and localhost, still refuses 169.254.169.254", async () => {
    const [one] = pair;
    const resolve = stubResolver({});
    const http = createOutboundHttp({ guard: { allowLocal: true, resolve } });
    const response = await http.fetch(`http://127.0.0.1:${one.port}/hook`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello from 127.0.0.1");
    const byName = await http.fetch(`http://localhost:${one.port}/by-name`);
    expect(await byName.text()).toBe("hello from 127.0.0.1");
    expect(one.hits.map((hit) => hit.path)).toEqual(["/hook", "/by-name"]);
    expect(one.hits[1]?.headers.host).toBe(`localhost:${one.port}`);
    // Refused before any connect: no network is touched.
    const refusal = await refusalOf(http.fetch("http://169.254.169.254/latest/meta-data/"));
    expect(refusal.category).toBe("metadata");
    expect(resolve.asked).toEqual([]);
  });

  it("with allowedNetworks 127.0.0.1/32 reaches 127.0.0.1 and refuses 127.0.0.2", async () => {
    const [one, two] = pair;
    const http = createOutboundHttp({ guard: { allowedNetworks: ["127.0.0.1/32"] } });
    const response = await http.fetch(`http://127.0.0.1:${one.port}/`);
    expect(await response.text()).toBe("hello from 127.0.0.1");
    const refusal = await refusalOf(http.fetch(`http://127.0.0.2:${two.port}/`));
    expect(refusal.message).toBe(
      "refused by the network guard: 127.0.0.2 (loopback); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    );
    expect(one.hits).toHaveLength(1);
    expect(two.hits).toEqual([]);
  });

  it("drops credentials from the URL instead of failing (callers use splitCredentials)", async () => {
    const [one] = pair;
    const http = createOutboundHttp({ guard: { allowLocal: true } });
    const response = await http.fetch(`http://user:secret@127.0.0.1:${one.port}/creds`);
    expect(response.status).toBe(200);
    expect(one.hits[0]?.headers.authorization).toBeUndefined();
  });

  it("does not follow redirects", async () => {
    const redirecting = createServer((_req, res) =>
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end(),
    );
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = redirecting.address() as AddressInfo;
      const http = createOutboundHttp({ guard: { allowLocal: true } });
      const response = await http.fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(302);
    } finally {
      redirecting.closeAllConnections();
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });

  it("tries the next checked address when one refuses the connection", async () => {
    const [one] = pair;
    // Nothing listens on 127.0.0.3; both addresses are loopback, both were checked.
    const resolve = stubResolver({ "fallback.test": ["127.0.0.3", "127.0.0.1"] });
    const http = createOutboundHttp({ guard: { allowLocal: true, resolve } });
    const response = await http.fetch(`http://fallback.test:${one.port}/`);
    expect(await response.text()).toBe("hello from 127.0.0.1");
    expect(resolve.asked).toEqual(["fallback.test"]);
  });

  it("a custom dispatcher bypasses the guard (benchmarks)", async () => {
    const [one] = pair;
    const http = createOutboundHttp({ dispatcher: new Agent() });
    const response = await http.fetch(`http://127.0.0.1:${one.port}/bypass`);
    expect(response.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// DNS rebinding, with a DNS server stub on 127.0.0.1

describe("DNS rebinding", () => {
  let dnsStub: DnsStub;
  let pair: [Receiver, Receiver];

  beforeAll(async () => {
    dnsStub = await startDnsStub({
      // Allowed first, blocked afterwards…
      "rebind.test": ["127.0.0.1", "127.0.0.2"],
      // …and the reverse.
      "rebind-reverse.test": ["127.0.0.2", "127.0.0.1"],
    });
    pair = await startReceiverPair();
  });
  afterAll(async () => {
    await dnsStub.close();
    await Promise.all(pair.map((receiver) => receiver.close()));
  });

  it("connects to the address it checked: one lookup, the second answer is never used", async () => {
    const [one, two] = pair;
    const http = createOutboundHttp({
      guard: { allowedNetworks: ["127.0.0.1/32"], resolve: stubDnsResolver(dnsStub) },
    });
    const response = await http.fetch(`http://rebind.test:${one.port}/hook`, {
      method: "POST",
      body: "{}",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello from 127.0.0.1");
    expect(one.hits.map((hit) => hit.path)).toEqual(["/hook"]);
    expect(one.hits[0]?.headers.host).toBe(`rebind.test:${one.port}`);
    expect(two.hits).toEqual([]);
    expect(dnsStub.queries.filter((q) => q.name === "rebind.test")).toEqual([
      { name: "rebind.test", type: 1 },
    ]);
    // A second lookup would have switched to 127.0.0.2: the stub does rebind.
    const resolver = new DnsResolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dnsStub.port}`]);
    expect(await resolver.resolve4("rebind.test")).toEqual(["127.0.0.2"]);
  });

  it("refuses when the first answer is the blocked one", async () => {
    const [one, two] = pair;
    for (const receiver of pair) receiver.hits.length = 0;
    const http = createOutboundHttp({
      guard: { allowedNetworks: ["127.0.0.1/32"], resolve: stubDnsResolver(dnsStub) },
    });
    const refusal = await refusalOf(http.fetch(`http://rebind-reverse.test:${two.port}/hook`));
    expect(refusal.message).toBe(
      "refused by the network guard: rebind-reverse.test resolves to 127.0.0.2 (loopback); set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it",
    );
    expect(dnsStub.queries.filter((q) => q.name === "rebind-reverse.test")).toHaveLength(1);
    expect(one.hits).toEqual([]);
    expect(two.hits).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// TLS: connected to the checked IP, SNI and certificate checked against the name

/** A self-signed certificate for `secure.test` (valid 2020-2120) and its key: test-only. */
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1I6kaBDNnhEAPwma
29YVIFNj9O3Ywv23htjkSOs6y5+hRANCAATbWxsWYYPs1PtYfWC+h26yhpbzRVwu
dMiBozZVaGM9ItieJEelW2kcP/813fL6Nn50C3gyn8DM9qXZwUjTLW6N
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBhzCCASygAwIBAgIBATAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtzZWN1cmUu
dGVzdDAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFowFjEUMBIGA1UE
AwwLc2VjdXJlLnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATbWxsWYYPs
1PtYfWC+h26yhpbzRVwudMiBozZVaGM9ItieJEelW2kcP/813fL6Nn50C3gyn8DM
9qXZwUjTLW6No2kwZzAMBgNVHRMBAf8EAjAAMBYGA1UdEQQPMA2CC3NlY3VyZS50
ZXN0MAsGA1UdDwQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQU
maTJbd1jEYnIX+UtQ+Bv2g9SPQQwCgYIKoZIzj0EAwIDSQAwRgIhAMGsWfnH9k6T
xNtid1iDxhlQv+eqeZeFXet8bS8LIwptAiEAnUv+bfPGoskaDlzPMamYLIxQqW1B
qsk1paCe6LYRzfM=
-----END CERTIFICATE-----
`;

describe("TLS through the guard", () => {
  let server: ReturnType<typeof createHttpsServer>;
  let port = 0;
  const servernames: Array<string | false | null> = [];
  const resolve = stubResolver({ "secure.test": ["127.0.0.1"], "other.test": ["127.0.0.1"] });

  beforeAll(async () => {
    server = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT }, (req, res) => {
      servernames.push((req.socket as TLSSocket).servername);
      res.end("secure hello");
    });
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it("fetch verifies certificates; fetchInsecure does not, and sends the name as SNI", async () => {
    const http = createOutboundHttp({ guard: { allowLocal: true, resolve } });
    const error = await rejection(http.fetch(`https://secure.test:${port}/`));
    expect(isNetworkGuardRefusal(error)).toBe(false);
    expect(String((error as Error).cause)).toMatch(/self[- ]signed/i);
    const response = await http.fetchInsecure(`https://secure.test:${port}/`);
    expect(await response.text()).toBe("secure hello");
    expect(servernames.at(-1)).toBe("secure.test");
  });

  it("fetchInsecure is guarded too", async () => {
    const http = createOutboundHttp({ guard: { resolve } });
    const refusal = await refusalOf(http.fetchInsecure(`https://secure.test:${port}/`));
    expect(refusal.message).toContain("secure.test resolves to 127.0.0.1 (loopback)");
  });

  it("checks the certificate against the name while connected to the checked address", async () => {
    const guard = createNetworkGuard({ allowLocal: true, resolve });
    const agent = new Agent({ connect: guard.connector({ ca: TEST_CERT }) });
    try {
      const ok = await undiciFetch(`https://secure.test:${port}/`, { dispatcher: agent });
      expect(await ok.text()).toBe("secure hello");
      expect(servernames.at(-1)).toBe("secure.test");
      // Same address, another name: the certificate does not cover it.
      const error = await rejection(
        undiciFetch(`https://other.test:${port}/`, { dispatcher: agent }),
      );
      expect(((error as Error).cause as { code?: string }).code).toBe(
        "ERR_TLS_CERT_ALTNAME_INVALID",
      );
    } finally {
      await agent.close();
    }
  });
});
