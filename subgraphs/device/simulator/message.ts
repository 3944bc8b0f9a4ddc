import { encodeMac, macOf } from '../ingest/mac';
import { channelValues } from './load-shape';

export interface SimulatedDevice {
  deviceId: string;
  region: string;
  channels: number;
  dataKey: Buffer;
  /** the device's counters (CONTRACT §6: bootSeq, seq) */
  bootSeq: number;
  seq: number;
}

/** The exact bytes a device publishes for one interval, and the `mac` user property. */
export function readingMessage(device: SimulatedDevice, timestamp: number, duration = 5): { payload: Buffer; mac: string } {
  device.seq += 1;
  const seed = Number(device.deviceId.slice(-6));
  const values = channelValues(seed, device.channels, timestamp, duration);
  const payload = Buffer.from(
    JSON.stringify({ v: 1, deviceId: device.deviceId, bootSeq: device.bootSeq, seq: device.seq, timestamp, duration, ...values }),
  );
  return { payload, mac: encodeMac(macOf(device.dataKey, payload)) };
}

/** Signs arbitrary bytes as the device would (tests forge and replay with it). */
export function signPayload(dataKey: Buffer, payload: Buffer): string {
  return encodeMac(macOf(dataKey, payload));
}
