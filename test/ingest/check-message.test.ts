import crypto from 'node:crypto';
import { checkCachedMessage, checkMessage, type CheckOptions, type IncomingMessage } from '../../subgraphs/device/ingest/check-message';
import type { DeviceDirectory, DeviceKeys } from '../../subgraphs/device/ingest/device-keys';
import { HmacSha256Key } from '../../lib/hmac-sha256';
import { SequenceWindow } from '../../subgraphs/device/ingest/sequence-window';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';

// The checks themselves, without a broker: the worker judges a message of a device whose keys
// are in memory at once (checkCachedMessage) and anything else the waiting way (checkMessage).
// The directory here is an in-memory stand-in holding what DeviceDirectory would have cached.

const DEVICE = 'D100000000077';

function keysOf(dataKey: Buffer): DeviceKeys {
  return { deviceId: DEVICE, tenantId: crypto.randomUUID(), region: 'au', channelCount: 6, dataKeys: [dataKey], macKeys: [new HmacSha256Key(dataKey)], loadedAt: Date.now() - 60_000, stampedAt: 0 };
}

function setUp(cached: DeviceKeys | null | undefined, stored: DeviceKeys | null) {
  const calls = { get: 0, refresh: 0 };
  const directory = {
    cached: () => cached,
    get: async () => {
      calls.get += 1;
      return cached === undefined ? stored : cached;
    },
    refreshIfOlder: async () => {
      calls.refresh += 1;
      return stored;
    },
  } as unknown as DeviceDirectory;
  // the device's high-water mark known (nothing stored), as after the writer's first look-up
  const window = new SequenceWindow();
  window.settle(DEVICE, null);
  const options: CheckOptions = { directory, window, maxSkewSeconds: 30, maxAgeSeconds: 86_400 };
  return { options, calls };
}

function message(dataKey: Buffer, seq = 0): IncomingMessage {
  const { payload, mac } = readingMessage({ deviceId: DEVICE, region: 'au', channels: 6, dataKey, bootSeq: 1, seq }, Math.floor(Date.now() / 1000));
  return { topic: telemetryTopic('au', DEVICE, 'se'), payload, mac, receivedAt: new Date() };
}

describe('checking a message with the keys in memory', () => {
  it('judges a cached device at once, as the waiting check does', async () => {
    const key = crypto.randomBytes(32);
    const { options, calls } = setUp(keysOf(key), null);
    const now = checkCachedMessage(message(key, 0), options);
    expect(now).toMatchObject({ kind: 'reading', reading: { deviceId: DEVICE, seq: 1, fresh: true } });
    const waited = await checkMessage(message(key, 1), options);
    expect(waited).toMatchObject({ kind: 'reading', reading: { deviceId: DEVICE, seq: 2, fresh: true } });
    expect(calls).toEqual({ get: 1, refresh: 0 });
  });

  it('leaves a device whose keys are not loaded to the waiting check, and records nothing for it', async () => {
    const key = crypto.randomBytes(32);
    const { options, calls } = setUp(undefined, keysOf(key));
    const first = message(key, 0);
    expect(checkCachedMessage(first, options)).toBe('load-keys');
    // the replay window did not move: the same message is still new to the waiting check
    expect(await checkMessage(first, options)).toMatchObject({ kind: 'reading', reading: { fresh: true } });
    expect(calls.get).toBe(1);
  });

  it('refuses a device known not to exist, and an oversized payload, without a lookup', async () => {
    const { options, calls } = setUp(null, null);
    const unknown = checkCachedMessage(message(crypto.randomBytes(32)), options);
    expect(unknown).toMatchObject({ kind: 'rejected', letter: { reason: 'unknown-device', deviceId: DEVICE } });
    const big = { ...message(crypto.randomBytes(32)), payload: Buffer.alloc(16 * 1024 + 1, 0x20) };
    expect(checkCachedMessage(big, setUp(undefined, null).options)).toMatchObject({ kind: 'rejected', letter: { reason: 'too-large' } });
    expect(calls).toEqual({ get: 0, refresh: 0 });
  });

  it('defers a MAC that fails on cached keys to a reload: accepted under the rotated key, refused otherwise', async () => {
    const before = crypto.randomBytes(32);
    const after = crypto.randomBytes(32);
    const rotated = setUp(keysOf(before), keysOf(after));
    const signedNew = message(after, 0);
    expect(checkCachedMessage(signedNew, rotated.options)).toBe('reload-keys');
    expect(await checkMessage(signedNew, rotated.options, 'reload-keys')).toMatchObject({ kind: 'reading', reading: { fresh: true } });
    expect(rotated.calls.refresh).toBe(1);

    const forged = setUp(keysOf(before), null);
    const wrong = message(crypto.randomBytes(32), 0);
    expect(checkCachedMessage(wrong, forged.options)).toBe('reload-keys');
    expect(await checkMessage(wrong, forged.options)).toMatchObject({ kind: 'rejected', letter: { reason: 'bad-mac', deviceId: DEVICE } });
    const stillWrong = setUp(keysOf(before), keysOf(after));
    expect(await checkMessage(wrong, stillWrong.options)).toMatchObject({ kind: 'rejected', letter: { reason: 'bad-mac' } });
    // told the MAC failed on the cached keys, it goes straight to the reload, and refuses after it
    expect(await checkMessage(wrong, stillWrong.options, 'reload-keys')).toMatchObject({ kind: 'rejected', letter: { reason: 'bad-mac' } });
    expect(stillWrong.calls.refresh).toBe(2);
  });
});
