import crypto from 'node:crypto';
import { HmacSha256Key } from '../../lib/hmac-sha256';

const reference = (key: Buffer, message: Buffer): Buffer => crypto.createHmac('sha256', key).update(message).digest();

describe('HmacSha256Key (HMAC-SHA256 from prepared pad states)', () => {
  it('equals node:crypto for every message length across three blocks, and for keys shorter, equal to and longer than a block', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      const key = crypto.randomBytes(keyLength);
      const prepared = new HmacSha256Key(key);
      for (let length = 0; length <= 200; length += 1) {
        const message = crypto.randomBytes(length);
        const expected = reference(key, message);
        expect(prepared.digest(message).toString('hex')).toBe(expected.toString('hex'));
        expect(prepared.verify(message, expected)).toBe(true);
      }
    }
  });

  it('equals node:crypto for large messages and for a message that is a view into a larger buffer', () => {
    const key = crypto.randomBytes(32);
    const prepared = new HmacSha256Key(key);
    for (const length of [1000, 16_384, 20_000, 70_001]) {
      const message = crypto.randomBytes(length);
      expect(prepared.digest(message).equals(reference(key, message))).toBe(true);
    }
    const whole = crypto.randomBytes(500);
    const view = whole.subarray(37, 337);
    expect(prepared.digest(view).equals(reference(key, Buffer.from(view)))).toBe(true);
  });

  it('matches the RFC 4231 test cases 1, 2 and 6 (a key longer than the block)', () => {
    const cases: [Buffer, Buffer, string][] = [
      [Buffer.alloc(20, 0x0b), Buffer.from('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
      [Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
      [Buffer.alloc(131, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ];
    for (const [key, message, hex] of cases) expect(new HmacSha256Key(key).digest(message).toString('hex')).toBe(hex);
  });

  it('refuses a MAC that differs in any one bit, is cut short or is longer', () => {
    const key = crypto.randomBytes(32);
    const prepared = new HmacSha256Key(key);
    const message = Buffer.from('{"v":1,"deviceId":"D100000000001"}');
    const mac = reference(key, message);
    for (let bit = 0; bit < 256; bit += 1) {
      const flipped = Buffer.from(mac);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(prepared.verify(message, flipped)).toBe(false);
    }
    expect(prepared.verify(message, mac.subarray(0, 31))).toBe(false);
    expect(prepared.verify(message, Buffer.concat([mac, Buffer.alloc(1)]))).toBe(false);
    expect(prepared.verify(Buffer.from('{"v":2,"deviceId":"D100000000001"}'), mac)).toBe(false);
    expect(prepared.verify(message, mac)).toBe(true);
  });
});
