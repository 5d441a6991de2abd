import { randomBytes, randomFillSync } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * A ULID (26 Crockford base-32 characters: 48-bit millisecond time, 80 random bits), monotonic
 * within this process so ids minted in the same millisecond still sort in creation order. Ids
 * from several processes sort by time to the millisecond, which is what "newest first" needs.
 */
export function ulid(now: number = Date.now()): string {
  let random: Uint8Array;
  if (now <= lastTime) {
    random = increment(lastRandom);
    now = lastTime;
  } else {
    random = pooledRandom(10);
  }
  lastTime = now;
  lastRandom = random;
  return encodeTime(now) + encodeRandom(random);
}

/** Prefixed public id, e.g. `evt_01JB…`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}

/** Lower-case Crockford base-32: no i, l, o or u, so a random id reads and types unambiguously. */
const SLUG_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * `prefix` + `characters` random lower-case base-32 characters (5 random bits each), for public
 * ids that must not be guessable or tell when they were made (`ntf_…`, `src_…`, `bhk_…`).
 */
export function newRandomId(prefix: string, characters: number): string {
  let slug = "";
  for (const byte of randomBytes(characters)) slug += SLUG_ALPHABET[byte & 31];
  return `${prefix}${slug}`;
}

/**
 * The smallest id of `prefix` minted at or after `time`: ids sort by their time, so
 * `id >= idFloor("evt", t)` selects what was created since `t` on the primary key alone.
 */
export function idFloor(prefix: string, time: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(time)))}${"0".repeat(16)}`;
}

function encodeTime(time: number): string {
  let out = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(t % 32) + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** Random bytes drawn 4 KiB at a time: one system call for hundreds of ids. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function pooledRandom(size: number): Uint8Array {
  if (poolAt + size > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  // A copy: `increment` derives the next id's bits from it after the pool moved on.
  const bytes = Uint8Array.from(pool.subarray(poolAt, poolAt + size));
  poolAt += size;
  return bytes;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 characters of 5 bits each: two halves of 40 bits, exact in a double.
  return encode40(bytes, 0) + encode40(bytes, 5);
}

function encode40(bytes: Uint8Array, from: number): string {
  let bits = 0;
  for (let i = from; i < from + 5; i++) bits = bits * 256 + (bytes[i] ?? 0);
  let out = "";
  for (let i = 0; i < 8; i++) {
    out = CROCKFORD.charAt(bits % 32) + out;
    bits = Math.floor(bits / 32);
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) {
      next[i] = 0;
    } else {
      next[i] = (next[i] ?? 0) + 1;
      break;
    }
  }
  return next;
}
