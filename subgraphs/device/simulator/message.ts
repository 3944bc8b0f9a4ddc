import { HmacSha256Key } from '../../../lib/hmac-sha256';
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
  /** `dataKey` prepared for HMAC-SHA256, kept with the key it was prepared from (`macKeyOf`). */
  prepared?: { key: Buffer; mac: HmacSha256Key };
}

/**
 * The device's data key prepared for signing, kept on the device: looked up in the WeakMap
 * of `macOf` per message it was 3.8 % of the simulator's CPU at 100,000 devices.
 */
function macKeyOf(device: SimulatedDevice): HmacSha256Key {
  if (device.prepared?.key !== device.dataKey) device.prepared = { key: device.dataKey, mac: new HmacSha256Key(device.dataKey) };
  return device.prepared.mac;
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
      `"frequency":${decimal(frequency, 2)},"eReal":[${eReal.join(',')}],"eReactive":[${eReactive.join(',')}],` +
      `"vRMS":[${decimals(vRMS, 1)}],"iRMS":[${decimals(iRMS, 3)}]}`,
  );
  return { payload, mac: encodeMac(macKeyOf(device).digest(payload)) };
}

const SCALE = [1, 10, 100, 1000] as const;

/**
 * The JSON text of `value` rounded to `digits` decimals: what JSON.stringify prints for
 * Math.round(value * 10^digits) / 10^digits, written from integers rather than by V8's
 * shortest round-trip printing of a double (`readingMessage` was 19 % of the simulator's
 * CPU, self time, at 100,000 devices; with this and the integer noise, 12.7-15.4 → 9.4-9.8
 * µs per message, docs/benchmarks.md).
 */
export function decimal(value: number, digits: 1 | 2 | 3): string {
  const scale = SCALE[digits];
  let n = Math.round(value * scale);
  if (n === 0) return '0';
  const sign = n < 0 ? '-' : '';
  if (n < 0) n = -n;
  const whole = Math.floor(n / scale);
  let fraction = n - whole * scale;
  if (fraction === 0) return `${sign}${whole}`;
  let width: number = digits;
  while (fraction % 10 === 0) {
    fraction /= 10;
    width -= 1;
  }
  return `${sign}${whole}.${String(fraction).padStart(width, '0')}`;
}

function decimals(values: readonly number[], digits: 1 | 2 | 3): string {
  let text = '';
  for (let i = 0; i < values.length; i += 1) text += i === 0 ? decimal(values[i]!, digits) : `,${decimal(values[i]!, digits)}`;
  return text;
}

/** Signs arbitrary bytes as the device would (tests forge and replay with it). */
export function signPayload(dataKey: Buffer, payload: Buffer): string {
  return encodeMac(macOf(dataKey, payload));
}
