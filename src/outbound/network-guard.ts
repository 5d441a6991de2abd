/**
 * The network guard (SSRF protection) for every request to a user-supplied URL (REFERENCE.md,
 * "Outgoing webhooks": network guard).
 *
 * The guard is an undici connector. When undici opens a connection it hands the connector the
 * URL's host name; the guard resolves it once (an injectable resolver, `dns.lookup` by default;
 * no lookup for IP literals and `localhost` names), refuses if ANY resolved address is blocked,
 * and otherwise connects to the address it checked: undici's own connector gets the IP as
 * `hostname` (so `net.connect`/`tls.connect` do no lookup of their own: DNS rebinding cannot swap
 * the address between check and connect) and the original name as `servername` (so TLS SNI and
 * the certificate check still use the name).
 *
 * What is blocked (the first match wins), and what opens it:
 *
 * - never opened, whatever the settings:
 *   - metadata: 169.254.169.254, 169.254.169.253, 169.254.170.2, 169.254.170.23, 169.254.0.23,
 *     100.100.100.200, 192.0.0.192, 168.63.129.16, fd00:ec2::254, fd00:ec2::23
 *   - unspecified: 0.0.0.0/8, ::/128
 *   - multicast: 224.0.0.0/4, ff00::/8
 *   - broadcast: 255.255.255.255
 * - opened by ALLOW_LOCAL_NETWORK=true, or by an ALLOWED_NETWORKS entry that covers the address:
 *   - loopback: 127.0.0.0/8, ::1/128
 *   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fec0::/10 (old site-local)
 *   - link-local: 169.254.0.0/16, fe80::/10
 *   - cgnat: 100.64.0.0/10
 *   - unique-local: fc00::/7
 * - opened only by an ALLOWED_NETWORKS entry that covers the address:
 *   - reserved: 192.0.0.0/24, 192.0.2.0/24, 192.88.99.0/24, 198.18.0.0/15, 198.51.100.0/24,
 *     203.0.113.0/24, 240.0.0.0/4; 100::/64, 2001:2::/48, 2001:10::/28, 2001:20::/28,
 *     2001:db8::/32, 3fff::/20, and all other IPv6 outside the global unicast 2000::/3
 *
 * Choices: the documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32,
 * 3fff::/20), benchmarking (198.18/15, 2001:2::/48), the IETF protocol block 192.0.0.0/24, the old
 * 6to4 relay anycast 192.88.99/24 and class E 240/4 are "reserved": no receiver lives there on the
 * Internet, so they are blocked, but ALLOW_LOCAL_NETWORK does not open them (they are not a LAN
 * either); an ALLOWED_NETWORKS entry that covers them does (198.18/15 is where "fake-IP" DNS
 * proxies put every name, for instance). Unspecified, multicast and broadcast are never a
 * receiver and stay blocked whatever the settings; so do the cloud metadata addresses, which
 * hold credentials (the list adds the EKS Pod Identity agent, Tencent Cloud's metadata service
 * and Azure's WireServer, a public address only Azure hosts answer on, to the usual ones).
 *
 * IPv6 forms that carry an IPv4 address are classified by that address: IPv4-mapped
 * (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), IPv4-compatible (::/96), NAT64
 * (64:ff9b::/96 and the local-use 64:ff9b:1::/48, address in the last 32 bits), 6to4 (2002::/16,
 * address in bits 16-48) and Teredo (2001::/32, the client address is the last 32 bits inverted).
 *
 * Names: `localhost` and `*.localhost` (trailing dot or not) are 127.0.0.1 and ::1 without a
 * lookup (RFC 6761), so an ALLOWED_NETWORKS list must cover both to open them. A name is refused
 * when ANY of its addresses is blocked; otherwise its addresses are tried in the resolver's order
 * (the next one after a refused, unreachable or timed-out connect).
 */
import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { buildConnector } from "undici";

/** One answer of a resolver, like `dns.lookup(host, { all: true })` gives. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** What an address is, as far as the guard cares. */
export type AddressCategory =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unique-local"
  | "reserved"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "metadata";

/** The IPv6 forms that carry an IPv4 address. */
export type EmbeddingForm =
  | "IPv4-mapped"
  | "IPv4-translated"
  | "IPv4-compatible"
  | "NAT64"
  | "6to4"
  | "Teredo";

export interface AddressClass {
  /** The address as given (without brackets or zone). */
  address: string;
  family: 4 | 6;
  category: AddressCategory;
  /** Words for a message: "private network", "reserved: documentation", … */
  label: string;
  /** For an IPv6 form that carries an IPv4 address: which form, and the address it carries. */
  embedded?: { form: EmbeddingForm; ipv4: string };
}

/** A parsed CIDR range. */
export interface Cidr {
  family: 4 | 6;
  /** The network address (host bits are zero). */
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`. */
  text: string;
}

/** The error code of every refusal. */
export const NETWORK_GUARD_ERROR_CODE = "ERR_SHIPCAST_NETWORK_GUARD";

/**
 * A request the guard refused. Permanent: the same URL will be refused again until the settings
 * change. The message is the reason, ready for a delivery log; it names the host, never the path.
 */
export class NetworkGuardError extends Error {
  override name = "NetworkGuardError";
  readonly code = NETWORK_GUARD_ERROR_CODE;
  /** The host that was refused ("" when the URL itself was). */
  readonly host: string;
  /** The address that was refused, when one was. */
  readonly address: string | undefined;
  /** Why: the blocked address's category, or `url` for a URL that is not http(s). */
  readonly category: AddressCategory | "url";

  constructor(
    message: string,
    details: { host: string; address?: string; category: AddressCategory | "url" },
  ) {
    super(message);
    this.host = details.host;
    this.address = details.address;
    this.category = details.category;
  }
}

/** The guard's refusal along `error`'s `cause` chain (undici wraps it in `fetch failed`). */
export function networkGuardRefusal(error: unknown): NetworkGuardError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Object; depth++) {
    if (current instanceof NetworkGuardError) return current;
    if (
      current instanceof Error &&
      (current as { code?: unknown }).code === NETWORK_GUARD_ERROR_CODE
    )
      return current as NetworkGuardError;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `error`, or an error along its `cause` chain, is a refusal of the guard. */
export function isNetworkGuardRefusal(error: unknown): boolean {
  return networkGuardRefusal(error) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Parsing addresses

/** The 4 bytes of a dotted-decimal IPv4 address, or undefined. */
function ipv4Bytes(text: string): Uint8Array | undefined {
  if (isIP(text) !== 4) return undefined;
  return Uint8Array.from(text.split(".").map(Number));
}

/** The 16 bytes of an IPv6 address (a zone, `%eth0`, is ignored), or undefined. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  const address = stripZone(text);
  if (isIP(address) !== 6) return undefined;
  let head = address;
  const tailWords: number[] = [];
  // A trailing dotted quad is two words.
  const lastColon = address.lastIndexOf(":");
  const last = address.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = ipv4Bytes(last);
    if (v4 === undefined) return undefined;
    tailWords.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    head = address.slice(0, lastColon + 1);
    // `::1.2.3.4` leaves `::`; `1::2:1.2.3.4` leaves `1::2:`.
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const words = (part: string) => (part === "" ? [] : part.split(":").map((w) => parseInt(w, 16)));
  let all: number[];
  const gap = head.indexOf("::");
  if (gap === -1) {
    all = [...words(head), ...tailWords];
  } else {
    const left = words(head.slice(0, gap));
    const right = [...words(head.slice(gap + 2)), ...tailWords];
    all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (all.length !== 8 || all.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) {
    return undefined;
  }
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function stripZone(text: string): string {
  const zone = text.indexOf("%");
  return zone === -1 ? text : text.slice(0, zone);
}

function stripBrackets(text: string): string {
  return text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
}

function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}

/** Whether the first `prefix` bits of `bytes` equal those of `network`. */
function matchesPrefix(bytes: Uint8Array, network: Uint8Array, prefix: number): boolean {
  const whole = Math.floor(prefix / 8);
  for (let i = 0; i < whole; i++) if (bytes[i] !== network[i]) return false;
  const rest = prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((network[whole] ?? 0) & mask);
}

// ---------------------------------------------------------------------------------------------
// CIDR ranges

/**
 * Parses one CIDR range (`10.0.0.0/8`, `fd00:1::/64`; a bare address is a /32 or /128). Throws
 * an error whose message says what is wrong, for configuration errors.
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const addressText = stripBrackets(slash === -1 ? trimmed : trimmed.slice(0, slash));
  const prefixText = slash === -1 ? undefined : trimmed.slice(slash + 1);
  const bad = (why: string) =>
    new Error(`"${text}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8: ${why}`);
  if (addressText.includes("%")) throw bad("a zone (%…) is not allowed");
  const v4 = ipv4Bytes(addressText);
  const v6 = v4 === undefined ? ipv6Bytes(addressText) : undefined;
  const bytes = v4 ?? v6;
  if (bytes === undefined) {
    throw bad(
      addressText === ""
        ? "the address is missing"
        : `"${addressText}" is not an IPv4 or IPv6 address`,
    );
  }
  const family = v4 === undefined ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      throw bad(`the prefix length must be a number from 0 to ${bits} for IPv${family}`);
    }
    prefix = Number(prefixText);
  }
  const network = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    network[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  const networkText = family === 4 ? formatIpv4(network) : formatIpv6(network);
  if (!network.every((byte, i) => byte === bytes[i])) {
    throw bad(`host bits are set after /${prefix} (did you mean ${networkText}/${prefix}?)`);
  }
  return { family, bytes: network, prefix, text: `${networkText}/${prefix}` };
}

/** Parses a comma-separated list (or an array) of CIDR ranges; empty items are skipped. */
export function parseCidrList(input: string | readonly string[]): Cidr[] {
  const items = typeof input === "string" ? input.split(",") : input;
  return items
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .map(parseCidr);
}

/** Whether `cidr` covers `address` (an IPv4 or IPv6 address). */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const bytes = cidr.family === 4 ? ipv4Bytes(address) : ipv6Bytes(stripBrackets(address));
  return bytes !== undefined && matchesPrefix(bytes, cidr.bytes, cidr.prefix);
}

/** Compressed IPv6 text (RFC 5952: the longest run of two or more zero words becomes `::`). */
function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(":");
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

// ---------------------------------------------------------------------------------------------
// Classification

interface Range {
  network: Uint8Array;
  prefix: number;
  category: AddressCategory;
  label: string;
}

function range(cidr: string, category: AddressCategory, label: string): Range {
  const parsed = parseCidr(cidr);
  return { network: parsed.bytes, prefix: parsed.prefix, category, label };
}

const CATEGORY_LABELS: Readonly<Record<AddressCategory, string>> = {
  public: "public",
  loopback: "loopback",
  private: "private network",
  "link-local": "link-local",
  cgnat: "carrier-grade NAT",
  "unique-local": "unique-local",
  reserved: "reserved",
  unspecified: "unspecified",
  multicast: "multicast",
  broadcast: "broadcast",
  metadata: "cloud metadata",
};

/**
 * Cloud metadata services: blocked always. AWS IMDS (and GCP, Azure, DigitalOcean, OpenStack…)
 * 169.254.169.254 and its IPv6 fd00:ec2::254, the AWS VPC resolver 169.254.169.253, ECS task
 * metadata 169.254.170.2, the EKS Pod Identity agent 169.254.170.23 / fd00:ec2::23, Tencent Cloud
 * 169.254.0.23, Alibaba Cloud 100.100.100.200, Oracle Cloud 192.0.0.192, Azure WireServer
 * 168.63.129.16.
 */
const METADATA_ADDRESSES: readonly string[] = [
  "169.254.169.254",
  "169.254.169.253",
  "169.254.170.2",
  "169.254.170.23",
  "169.254.0.23",
  "100.100.100.200",
  "192.0.0.192",
  "168.63.129.16",
  "fd00:ec2::254",
  "fd00:ec2::23",
];
const METADATA_V4 = new Set(METADATA_ADDRESSES.filter((a) => isIP(a) === 4));
const METADATA_V6 = METADATA_ADDRESSES.filter((a) => isIP(a) === 6).map(
  (a) => ipv6Bytes(a) as Uint8Array,
);

const IPV4_RANGES: readonly Range[] = [
  range("0.0.0.0/8", "unspecified", "unspecified"),
  range("10.0.0.0/8", "private", "private network"),
  range("100.64.0.0/10", "cgnat", "carrier-grade NAT"),
  range("127.0.0.0/8", "loopback", "loopback"),
  range("169.254.0.0/16", "link-local", "link-local"),
  range("172.16.0.0/12", "private", "private network"),
  range("192.0.0.0/24", "reserved", "reserved: IETF protocol assignments"),
  range("192.0.2.0/24", "reserved", "reserved: documentation"),
  range("192.88.99.0/24", "reserved", "reserved: 6to4 relay anycast"),
  range("192.168.0.0/16", "private", "private network"),
  range("198.18.0.0/15", "reserved", "reserved: benchmarking"),
  range("198.51.100.0/24", "reserved", "reserved: documentation"),
  range("203.0.113.0/24", "reserved", "reserved: documentation"),
  range("224.0.0.0/4", "multicast", "multicast"),
  range("255.255.255.255/32", "broadcast", "broadcast"),
  range("240.0.0.0/4", "reserved", "reserved: future use"),
];

const IPV6_RANGES: readonly Range[] = [
  range("::/128", "unspecified", "unspecified"),
  range("::1/128", "loopback", "loopback"),
  range("100::/64", "reserved", "reserved: discard-only"),
  range("2001:2::/48", "reserved", "reserved: benchmarking"),
  range("2001:10::/28", "reserved", "reserved: ORCHID"),
  range("2001:20::/28", "reserved", "reserved: ORCHIDv2"),
  range("2001:db8::/32", "reserved", "reserved: documentation"),
  range("3fff::/20", "reserved", "reserved: documentation"),
  range("fc00::/7", "unique-local", "unique-local"),
  range("fe80::/10", "link-local", "link-local"),
  range("fec0::/10", "private", "private network (site-local)"),
  range("ff00::/8", "multicast", "multicast"),
];

const GLOBAL_UNICAST = parseCidr("2000::/3");

/** IPv6 forms that carry an IPv4 address, and where it sits. Checked before IPV6_RANGES. */
const EMBEDDINGS: ReadonlyArray<{
  form: EmbeddingForm;
  network: Uint8Array;
  prefix: number;
  extract: (bytes: Uint8Array) => Uint8Array;
}> = [
  { form: "IPv4-mapped", ...cidrParts("::ffff:0:0/96"), extract: (b) => b.slice(12, 16) },
  { form: "IPv4-translated", ...cidrParts("::ffff:0:0:0/96"), extract: (b) => b.slice(12, 16) },
  { form: "NAT64", ...cidrParts("64:ff9b::/96"), extract: (b) => b.slice(12, 16) },
  { form: "NAT64", ...cidrParts("64:ff9b:1::/48"), extract: (b) => b.slice(12, 16) },
  { form: "6to4", ...cidrParts("2002::/16"), extract: (b) => b.slice(2, 6) },
  { form: "Teredo", ...cidrParts("2001::/32"), extract: (b) => b.slice(12, 16).map((x) => ~x) },
  // Last: `::` and `::1` are in ::/96 too and are classified as themselves first.
  { form: "IPv4-compatible", ...cidrParts("::/96"), extract: (b) => b.slice(12, 16) },
];

function cidrParts(text: string): { network: Uint8Array; prefix: number } {
  const parsed = parseCidr(text);
  return { network: parsed.bytes, prefix: parsed.prefix };
}

function classifyIpv4(bytes: Uint8Array, address: string): AddressClass {
  const text = formatIpv4(bytes);
  if (METADATA_V4.has(text)) {
    return { address, family: 4, category: "metadata", label: CATEGORY_LABELS.metadata };
  }
  for (const r of IPV4_RANGES) {
    if (matchesPrefix(bytes, r.network, r.prefix)) {
      return { address, family: 4, category: r.category, label: r.label };
    }
  }
  return { address, family: 4, category: "public", label: "public" };
}

function classifyIpv6(bytes: Uint8Array, address: string): AddressClass {
  if (METADATA_V6.some((m) => m.every((byte, i) => byte === bytes[i]))) {
    return { address, family: 6, category: "metadata", label: CATEGORY_LABELS.metadata };
  }
  const special = IPV6_RANGES.slice(0, 2).find((r) => matchesPrefix(bytes, r.network, r.prefix));
  if (special !== undefined) {
    return { address, family: 6, category: special.category, label: special.label };
  }
  for (const e of EMBEDDINGS) {
    if (!matchesPrefix(bytes, e.network, e.prefix)) continue;
    const ipv4 = formatIpv4(e.extract(bytes));
    const inner = classifyIpv4(ipv4Bytes(ipv4) as Uint8Array, ipv4);
    return {
      address,
      family: 6,
      category: inner.category,
      label: inner.label,
      embedded: { form: e.form, ipv4 },
    };
  }
  for (const r of IPV6_RANGES) {
    if (matchesPrefix(bytes, r.network, r.prefix)) {
      return { address, family: 6, category: r.category, label: r.label };
    }
  }
  if (!matchesPrefix(bytes, GLOBAL_UNICAST.bytes, GLOBAL_UNICAST.prefix)) {
    return { address, family: 6, category: "reserved", label: "reserved: not global unicast" };
  }
  return { address, family: 6, category: "public", label: "public" };
}

/**
 * Classifies an IP address (IPv4 dotted decimal, or IPv6 with or without brackets). Throws a
 * TypeError for anything else: host names are resolved first, by the guard.
 */
export function classifyAddress(address: string): AddressClass {
  const bare = stripZone(stripBrackets(address));
  const v4 = ipv4Bytes(bare);
  if (v4 !== undefined) return classifyIpv4(v4, bare);
  const v6 = ipv6Bytes(bare);
  if (v6 !== undefined) return classifyIpv6(v6, bare);
  throw new TypeError(`not an IP address: "${address}"`);
}

// ---------------------------------------------------------------------------------------------
// URLs

/**
 * Parses a URL for an outgoing request the way the request will see it: WHATWG `new URL()`
 * canonicalizes the host (decimal, octal and hex IPv4 spellings become dotted decimal, names are
 * lower-cased and IDNA-mapped), only http and https pass, and user name and password are
 * removed (use `splitCredentials` first to keep them as a header). Throws a `NetworkGuardError`.
 */
export function normalizeOutboundUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    // The URL may be a secret (a Slack webhook): never quote it.
    throw new NetworkGuardError("refused by the network guard: not a valid URL", {
      host: "",
      category: "url",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new NetworkGuardError(
      `refused by the network guard: ${url.protocol} URLs are not allowed (only http and https)`,
      { host: url.hostname, category: "url" },
    );
  }
  url.username = "";
  url.password = "";
  return url;
}

function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Separates the credentials of `http://user:password@host/…` from the URL: the URL without
 * them (normalized as `normalizeOutboundUrl` does), and a Basic `Authorization` header value
 * when there were any. Throws a `NetworkGuardError` for a URL that is not http(s).
 */
export function splitCredentials(input: string | URL): { url: string; authorization?: string } {
  let parsed: URL | undefined;
  try {
    parsed = new URL(input);
  } catch {
    // normalizeOutboundUrl says so below.
  }
  const url = normalizeOutboundUrl(input).href;
  if (parsed === undefined || (parsed.username === "" && parsed.password === "")) return { url };
  const userinfo = `${decodeUserinfo(parsed.username)}:${decodeUserinfo(parsed.password)}`;
  return { url, authorization: `Basic ${Buffer.from(userinfo, "utf8").toString("base64")}` };
}

// ---------------------------------------------------------------------------------------------
// The guard

export interface NetworkGuardOptions {
  /** Opens loopback, private, link-local, CGNAT and unique-local (ALLOW_LOCAL_NETWORK). */
  allowLocal?: boolean;
  /** CIDR ranges opened although blocked (ALLOWED_NETWORKS); metadata and the like stay shut. */
  allowedNetworks?: readonly string[];
  /** How host names are resolved. Default: `dns.promises.lookup(host, { all: true })`. */
  resolve?: Resolver;
}

export interface NetworkGuard {
  /** The refusal for connecting to `address` as `host` (default: the address), or undefined. */
  refusal(address: string, host?: string): NetworkGuardError | undefined;
  /**
   * Resolves `hostname` (IP literals and `localhost` names without a lookup) and checks every
   * address: resolves to the checked addresses, or rejects with a `NetworkGuardError` (or the
   * resolver's error).
   */
  check(hostname: string, timeoutMs?: number): Promise<ResolvedAddress[]>;
  /**
   * An undici connector (`new Agent({ connect: guard.connector() })`): checks, then connects to
   * a checked address. `options` are `buildConnector`'s (timeout, TLS options…).
   */
  connector(options?: buildConnector.BuildOptions): buildConnector.connector;
}

/** Categories that ALLOW_LOCAL_NETWORK opens. */
const LOCAL_CATEGORIES: ReadonlySet<AddressCategory> = new Set([
  "loopback",
  "private",
  "link-local",
  "cgnat",
  "unique-local",
]);
/** Categories nothing opens. */
const NEVER_CATEGORIES: ReadonlySet<AddressCategory> = new Set([
  "metadata",
  "unspecified",
  "multicast",
  "broadcast",
]);

const ARTICLES: Partial<Record<AddressCategory, string>> = {
  metadata: "a cloud metadata",
  unspecified: "an unspecified",
  multicast: "a multicast",
  broadcast: "a broadcast",
};

/** Connect errors after which the next checked address of the host is tried. */
const NEXT_ADDRESS_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const defaultResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true });

/** `localhost` and `*.localhost` are loopback (RFC 6761 §6.3), never asked of DNS. */
function isLocalhostName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost");
}
const LOCALHOST_ADDRESSES: readonly ResolvedAddress[] = [
  { address: "127.0.0.1", family: 4 },
  { address: "::1", family: 6 },
];

function withTimeout<T>(promise: Promise<T>, ms: number, host: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new Error(`DNS lookup of ${host} timed out after ${ms} ms`) as Error & {
        code: string;
      };
      error.code = "EAI_AGAIN";
      reject(error);
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Creates the guard for one set of openings. Throws if an `allowedNetworks` entry is invalid. */
export function createNetworkGuard(options: NetworkGuardOptions = {}): NetworkGuard {
  const allowLocal = options.allowLocal === true;
  const allowed = parseCidrList(options.allowedNetworks ?? []);
  const resolve = options.resolve ?? defaultResolver;

  const listed = (cls: AddressClass): boolean =>
    allowed.some(
      (cidr) =>
        cidrContains(cidr, cls.address) ||
        (cls.embedded !== undefined && cidrContains(cidr, cls.embedded.ipv4)),
    );

  function refusal(address: string, host: string = address): NetworkGuardError | undefined {
    const cls = classifyAddress(address);
    if (cls.category === "public") return undefined;
    const never = NEVER_CATEGORIES.has(cls.category);
    if (!never) {
      if (allowLocal && LOCAL_CATEGORIES.has(cls.category)) return undefined;
      if (listed(cls)) return undefined;
    }
    const bare = stripBrackets(host);
    const isLiteral = bare === cls.address || isIP(bare) !== 0;
    const via =
      cls.embedded === undefined ? "" : `the ${cls.embedded.form} form of ${cls.embedded.ipv4}`;
    let message: string;
    if (never) {
      const subject = isLiteral ? `${cls.address} is` : `${bare} resolves to ${cls.address},`;
      const kind = `${ARTICLES[cls.category] ?? "a"} address, which is never allowed`;
      message = via === "" ? `${subject} ${kind}` : `${subject} ${via}, ${kind}`;
    } else {
      const subject = isLiteral ? cls.address : `${bare} resolves to ${cls.address}`;
      const label = via === "" ? cls.label : `${cls.label}, as ${via}`;
      const hint =
        cls.category === "reserved"
          ? "add it to ALLOWED_NETWORKS to allow it"
          : "set ALLOW_LOCAL_NETWORK=true or ALLOWED_NETWORKS to allow it";
      message = `${subject} (${label}); ${hint}`;
    }
    return new NetworkGuardError(`refused by the network guard: ${message}`, {
      host: bare,
      address: cls.address,
      category: cls.category,
    });
  }

  async function check(hostname: string, timeoutMs = 10_000): Promise<ResolvedAddress[]> {
    const host = stripBrackets(hostname).toLowerCase();
    const name = host.endsWith(".") ? host.slice(0, -1) : host;
    let addresses: ResolvedAddress[];
    const family = isIP(stripZone(name));
    if (family !== 0) {
      addresses = [{ address: stripZone(name), family }];
    } else if (isLocalhostName(name)) {
      addresses = [...LOCALHOST_ADDRESSES];
    } else {
      addresses = await withTimeout(resolve(name), timeoutMs, name);
      if (addresses.length === 0) {
        throw Object.assign(new Error(`DNS lookup of ${name} returned no address`), {
          code: "ENOTFOUND",
          hostname: name,
        });
      }
      for (const { address } of addresses) {
        if (isIP(stripZone(address)) === 0) {
          throw Object.assign(
            new Error(`DNS lookup of ${name} returned "${address}", not an IP address`),
            { code: "EBADRESP", hostname: name },
          );
        }
      }
    }
    for (const { address } of addresses) {
      const refused = refusal(address, name);
      if (refused !== undefined) throw refused;
    }
    return addresses;
  }

  function connector(buildOptions: buildConnector.BuildOptions = {}): buildConnector.connector {
    const connect = buildConnector(buildOptions);
    const timeoutMs = buildOptions.timeout ?? 10_000;
    return (opts, callback) => {
      check(opts.hostname, timeoutMs).then(
        (addresses) => {
          // SNI and the certificate check use the name (an IP literal has no SNI).
          const named = (opts.servername || opts.hostname).replace(/\.$/, "");
          const servername = isIP(stripBrackets(named)) === 0 ? named : undefined;
          const attempt = (index: number) => {
            const target = addresses[index];
            if (target === undefined) return;
            try {
              connect(
                { ...opts, hostname: stripZone(target.address), servername },
                (error, socket) => {
                  const code = (error as { code?: unknown } | null)?.code;
                  if (
                    error !== null &&
                    typeof code === "string" &&
                    NEXT_ADDRESS_CODES.has(code) &&
                    index + 1 < addresses.length
                  ) {
                    attempt(index + 1);
                    return;
                  }
                  if (error !== null) callback(error, null);
                  else if (socket !== null) callback(null, socket);
                },
              );
            } catch (error) {
              callback(error as Error, null);
            }
          };
          attempt(0);
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)), null);
        },
      );
    };
  }

  return { refusal, check, connector };
}
