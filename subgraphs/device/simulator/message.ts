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

/**
 * The exact bytes a device publishes for one interval, and the `mac` user property. The JSON
 * is written by hand (same text as JSON.stringify of the object: finite numbers print the
 * same way) because the simulator runs on the cores it is benchmarking.
 */
export function readingMessage(device: SimulatedDevice, timestamp: number, duration = 5): { payload: Buffer; mac: string } {
  device.seq += 1;
  const seed = Number(device.deviceId.slice(-6));
  const { frequency, eReal, eReactive, vRMS, iRMS } = channelValues(seed, device.channels, timestamp, duration);
  const payload = Buffer.from(
    `{"v":1,"deviceId":"${device.deviceId}","bootSeq":${device.bootSeq},"seq":${device.seq},"timestamp":${timestamp},"duration":${duration},` +
      `"frequency":${frequency},"eReal":[${eReal.join(',')}],"eReactive":[${eReactive.join(',')}],"vRMS":[${vRMS.join(',')}],"iRMS":[${iRMS.join(',')}]}`,
  );
  return { payload, mac: encodeMac(macOf(device.dataKey, payload)) };
}

/** Signs arbitrary bytes as the device would (tests forge and replay with it). */
export function signPayload(dataKey: Buffer, payload: Buffer): string {
  return encodeMac(macOf(dataKey, payload));
}
