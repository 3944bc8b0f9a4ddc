import crypto from 'node:crypto';
import { macOf } from '../../subgraphs/device/ingest/mac';
import { acceptReading } from '../../subgraphs/device/ingest/reading-schema';
import { channelValues, noise } from '../../subgraphs/device/simulator/load-shape';
import { decimal, readingMessage } from '../../subgraphs/device/simulator/message';

describe('simulator messages', () => {
  it('prints a rounded number exactly as JSON.stringify prints it', () => {
    const cases = [0, -0, 0.0004, -0.0004, 0.0005, 1, -1, 0.1, 0.05, 1.25, 244.95, 244.849999, 59.999, 1e6 + 0.001, -12345.678, 0.001, 0.01, 0.1 + 0.2];
    for (let i = 0; i < 20_000; i += 1) cases.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 8));
    for (const value of cases) {
      for (const digits of [1, 2, 3] as const) {
        const scale = 10 ** digits;
        expect([value, digits, decimal(value, digits)]).toEqual([value, digits, JSON.stringify(Math.round(value * scale) / scale)]);
      }
    }
  });

  it('signs a payload that parses to the channel values and passes the worker schema', () => {
    const device = { deviceId: 'D100000000042', region: 'au', channels: 6, dataKey: crypto.randomBytes(32), bootSeq: 3, seq: 10 };
    const timestamp = 1_764_115_200 + 2 * 3600; // 12:00 at the load shape's UTC+10: solar negative
    const { payload, mac } = readingMessage(device, timestamp);
    const body = JSON.parse(payload.toString('utf8'));
    const values = channelValues(42, 6, timestamp, 5);
    expect(body).toEqual({ v: 1, deviceId: device.deviceId, bootSeq: 3, seq: 11, timestamp, duration: 5, ...JSON.parse(JSON.stringify(values)) });
    expect(values.eReal[5]).toBeLessThan(0);
    expect(acceptReading(body)).not.toBeNull();
    expect(mac).toBe(macOf(device.dataKey, payload).toString('base64url'));
  });

  it('draws noise evenly from 0..1, the same for the same inputs', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let t = 0; t < 100_000; t += 1) {
      const x = noise(t % 977, 1_764_115_200 + t * 5);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      buckets[Math.floor(x * 10)]! += 1;
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(noise(7, 1_764_115_200)).toBe(noise(7, 1_764_115_200));
    expect(noise(7, 1_764_115_200)).not.toBe(noise(8, 1_764_115_200));
  });
});
