import crypto from 'node:crypto';
import { decodeMac, encodeMac, macMatches, macOf } from '../../subgraphs/device/ingest/mac';

describe('device MACs (CONTRACT §6: HMAC-SHA256 over the exact payload bytes)', () => {
  it('equals node:crypto HMAC-SHA256 for keys and payloads of every size around the hash block', () => {
    for (const keyLength of [1, 16, 32, 63, 64, 65, 100]) {
      const key = crypto.randomBytes(keyLength);
      for (const payloadLength of [0, 1, 55, 56, 63, 64, 65, 119, 120, 265, 1000, 16_384, 20_000]) {
        const payload = crypto.randomBytes(payloadLength);
        expect(macOf(key, payload).toString('hex')).toBe(crypto.createHmac('sha256', key).update(payload).digest('hex'));
      }
    }
  });

  it('matches the published RFC 4231 test case 2', () => {
    const mac = macOf(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'));
    expect(mac.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('accepts the MAC of any current key, and refuses another key, another payload and a malformed property', () => {
    const [current, previous, other] = [crypto.randomBytes(32), crypto.randomBytes(32), crypto.randomBytes(32)];
    const payload = Buffer.from('{"v":1}');
    const sent = encodeMac(macOf(previous, payload));
    expect(macMatches([current, previous], payload, decodeMac(sent)!)).toBe(true);
    expect(macMatches([current, other], payload, decodeMac(sent)!)).toBe(false);
    expect(macMatches([current, previous], Buffer.from('{"v":2}'), decodeMac(sent)!)).toBe(false);
    expect(decodeMac(`${sent}=`)).toBeNull();
    expect(decodeMac(sent.slice(1))).toBeNull();
  });
});
