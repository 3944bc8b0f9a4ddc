import crypto from 'node:crypto';

/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) in JavaScript, from a key prepared once: the SHA-256
 * states after the key's inner and outer pad blocks are kept, so a MAC costs the message's
 * blocks and one outer block, and allocates nothing but its result (`verify`: nothing).
 * The ingestion worker checks, and the simulator signs, 20,000 small messages a second on
 * the same two cores: `crypto.createHmac` spent more per message creating and freeing a
 * native Hmac object than hashing (docs/benchmarks.md, bench/micro `hmac`). Checked
 * against node:crypto for every length across the block boundaries
 * (test/lib/hmac-sha256.test.ts). Every operation is on 32-bit words, with no branch or
 * table lookup on the data, so its timing does not depend on the key or the message.
 */
export class HmacSha256Key {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than the block is hashed first
    const bytes = key.length > BLOCK ? crypto.createHash('sha256').update(key).digest() : key;
    const pad = new Uint8Array(BLOCK);
    for (const [state, mask] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      pad.fill(mask);
      for (let i = 0; i < bytes.length; i += 1) pad[i] = bytes[i]! ^ mask;
      state.set(IV);
      loadBlock(pad, 0);
      compress(state);
    }
  }

  /** The MAC of `message` as a new 32-byte Buffer. */
  digest(message: Uint8Array): Buffer {
    this.run(message);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i += 1) out.writeInt32BE(STATE[i]!, i * 4);
    return out;
  }

  /**
   * True when `mac` is the MAC of `message`, compared in constant time (every byte is
   * looked at whatever differs). False for a `mac` of any other length than 32.
   */
  verify(message: Uint8Array, mac: Uint8Array): boolean {
    if (mac.length !== 32) return false;
    this.run(message);
    let difference = 0;
    for (let i = 0; i < 8; i += 1) {
      const j = i * 4;
      difference |= STATE[i]! ^ ((mac[j]! << 24) | (mac[j + 1]! << 16) | (mac[j + 2]! << 8) | mac[j + 3]!);
    }
    return difference === 0;
  }

  /** Leaves the MAC in STATE. */
  private run(message: Uint8Array): void {
    STATE.set(this.inner);
    hashTail(message, BLOCK);
    // the outer hash: its pad block is in `outer`, then one block of the inner digest
    W.set(STATE);
    W[8] = 0x80000000 | 0;
    W.fill(0, 9, 15);
    W[15] = (BLOCK + 32) * 8;
    STATE.set(this.outer);
    compress(STATE);
  }
}

const BLOCK = 64;

/** FIPS 180-4 §5.3.3 */
const IV = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

/** FIPS 180-4 §4.2.2 */
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

/** The running hash and the message schedule, shared: one MAC runs at a time (JavaScript is single-threaded and nothing here awaits). */
const STATE = new Int32Array(8);
const W = new Int32Array(64);
const TAIL = new Uint8Array(2 * BLOCK);

/** Hashes `message` into STATE, which already holds `prefix` bytes' worth of blocks, with the final padding. */
function hashTail(message: Uint8Array, prefix: number): void {
  const full = message.length - (message.length % BLOCK);
  for (let offset = 0; offset < full; offset += BLOCK) {
    loadBlock(message, offset);
    compress(STATE);
  }
  // the last bytes, 0x80, zeros, and the length in bits as a 64-bit big-endian number
  const rest = message.length - full;
  const blocks = rest + 9 > BLOCK ? 2 : 1;
  TAIL.fill(0);
  for (let i = 0; i < rest; i += 1) TAIL[i] = message[full + i]!;
  TAIL[rest] = 0x80;
  const bits = (prefix + message.length) * 8;
  const end = blocks * BLOCK;
  const high = Math.floor(bits / 0x100000000);
  TAIL[end - 8] = high >>> 24;
  TAIL[end - 7] = high >>> 16;
  TAIL[end - 6] = high >>> 8;
  TAIL[end - 5] = high;
  TAIL[end - 4] = bits >>> 24;
  TAIL[end - 3] = bits >>> 16;
  TAIL[end - 2] = bits >>> 8;
  TAIL[end - 1] = bits;
  for (let offset = 0; offset < end; offset += BLOCK) {
    loadBlock(TAIL, offset);
    compress(STATE);
  }
}

function loadBlock(bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i += 1) {
    const j = offset + i * 4;
    W[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
}

/** FIPS 180-4 §6.2.2 on the block in W[0..15]. */
function compress(state: Int32Array): void {
  for (let i = 16; i < 64; i += 1) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i += 1) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}
