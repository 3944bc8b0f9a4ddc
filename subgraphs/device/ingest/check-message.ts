import type { DeadLetter, IncomingReading } from '../../telemetry/reading';
import type { DeviceDirectory, DeviceKeys } from './device-keys';
import { decodeMac, macMatches } from './mac';
import { DURATION_BY_KIND, acceptReading, channelCountIs, leExtras, readingSchema, statusSchema, type StatusPayload } from './reading-schema';
import type { SequenceWindow } from './sequence-window';
import { parseTopic, type TelemetryTopic } from './topics';

/** CONTRACT §6 messages are small; anything bigger is refused before it is parsed. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export interface CheckOptions {
  directory: DeviceDirectory;
  window: SequenceWindow;
  /** How far in the future a timestamp may be (device clock skew), seconds. */
  maxSkewSeconds: number;
  /** Oldest acceptable reading, seconds (the persistent session outlives no more than this). */
  maxAgeSeconds: number;
}

export interface IncomingMessage {
  topic: string;
  /** `parseTopic(topic)` when the caller has it already (the worker counts messages by kind). */
  parsed?: TelemetryTopic | null;
  payload: Buffer;
  mac: unknown;
  receivedAt: Date;
}

export type Verdict =
  | { kind: 'reading'; reading: IncomingReading }
  | { kind: 'status'; deviceId: string; status: StatusPayload }
  | { kind: 'rejected'; letter: DeadLetter };

/**
 * The checks, in order, each with its dead-letter reason. The MAC is checked before the
 * payload is parsed: nothing unauthenticated reaches JSON.parse or the schema.
 */
export async function checkMessage(message: IncomingMessage, options: CheckOptions): Promise<Verdict> {
  const reject = (reason: string, detail: string | null = null, device?: DeviceKeys | string): Verdict => ({
    kind: 'rejected',
    letter: {
      receivedAt: message.receivedAt,
      topic: message.topic,
      deviceId: typeof device === 'string' ? device : (device?.deviceId ?? null),
      tenantId: typeof device === 'object' ? device.tenantId : null,
      reason,
      detail,
      payload: message.payload,
    },
  });
  const topic = message.parsed === undefined ? parseTopic(message.topic) : message.parsed;
  if (message.payload.length > MAX_PAYLOAD_BYTES) return reject('too-large', `${message.payload.length} bytes`, topic?.deviceId);
  if (!topic) return reject('bad-topic');
  let device = await options.directory.get(topic.deviceId);
  if (!device) return reject('unknown-device', null, topic.deviceId);
  if (device.region !== topic.region) return reject('wrong-region', `registered in ${device.region}`, device);
  const mac = decodeMac(message.mac);
  if (!mac) return reject('no-mac', message.mac === undefined ? null : 'malformed mac property', device);
  if (!macMatches(device.dataKeys, message.payload, mac)) {
    // keys cached for a while may predate a rotation: reload once before refusing
    const fresher = await options.directory.refreshIfOlder(topic.deviceId, 5_000);
    if (!fresher || !macMatches(fresher.dataKeys, message.payload, mac)) return reject('bad-mac', null, device);
    device = fresher;
  }
  let body: unknown;
  try {
    body = JSON.parse(message.payload.toString('utf8'));
  } catch {
    return reject('not-json', null, device);
  }
  if (topic.kind === 'status') {
    const status = statusSchema.safeParse(body);
    if (!status.success) return reject('invalid', describe(status.error.issues), device);
    if (status.data.deviceId !== topic.deviceId) return reject('device-mismatch', `payload says ${status.data.deviceId}`, device);
    return { kind: 'status', deviceId: topic.deviceId, status: status.data };
  }
  let reading = acceptReading(body);
  if (!reading) {
    const parsed = readingSchema.safeParse(body);
    if (!parsed.success) return reject('invalid', describe(parsed.error.issues), device);
    reading = parsed.data;
  }
  if (reading.deviceId !== topic.deviceId) return reject('device-mismatch', `payload says ${reading.deviceId}`, device);
  if (reading.duration !== DURATION_BY_KIND[topic.kind]) return reject('invalid', `duration ${reading.duration} on ${topic.kind}`, device);
  if (!channelCountIs(reading, device.channelCount)) {
    return reject('channel-count', `device has ${device.channelCount} channels`, device);
  }
  const now = message.receivedAt.getTime() / 1000;
  if (reading.timestamp > now + options.maxSkewSeconds) return reject('future', `${Math.round(reading.timestamp - now)} s ahead`, device);
  if (reading.timestamp < now - options.maxAgeSeconds) return reject('stale', `${Math.round(now - reading.timestamp)} s old`, device);
  const fresh = options.window.advance(device.deviceId, reading.bootSeq, reading.seq, device.highWater);
  return {
    kind: 'reading',
    reading: {
      deviceId: device.deviceId,
      tenantId: device.tenantId,
      region: device.region,
      bootSeq: reading.bootSeq,
      seq: reading.seq,
      timestamp: reading.timestamp,
      duration: reading.duration,
      frequency: reading.frequency,
      eReal: reading.eReal,
      eReactive: reading.eReactive,
      vRMS: reading.vRMS,
      iRMS: reading.iRMS,
      extra: topic.kind === 'le' ? leExtras(reading) : undefined,
      topic: message.topic,
      receivedAt: message.receivedAt,
      payload: message.payload,
      mac,
      fresh,
    },
  };
}

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
