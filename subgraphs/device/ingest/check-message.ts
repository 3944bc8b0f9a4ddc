import type { DeadLetter, IncomingReading } from '../../telemetry/reading';
import type { DeviceDirectory, DeviceKeys } from './device-keys';
import { decodeMac, preparedMacMatches } from './mac';
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
export async function checkMessage(message: IncomingMessage, options: CheckOptions, deferred: Deferred = 'load-keys'): Promise<Verdict> {
  const topic = checkTopic(message);
  if (!isTopic(topic)) return topic;
  const device = await options.directory.get(topic.deviceId);
  // the MAC already failed on these keys (checkCachedMessage): not computed again
  const verdict = deferred === 'reload-keys' && device ? RELOAD : judge(message, topic, device, options, true);
  if (verdict !== RELOAD) return verdict;
  // keys cached for a while may predate a rotation: reload once before refusing
  const fresher = await options.directory.refreshIfOlder(topic.deviceId, 5_000);
  if (!fresher) return reject(message, 'bad-mac', null, device ?? topic.deviceId);
  return judge(message, topic, fresher, options, false) as Verdict;
}

/** Why `checkCachedMessage` left a message to `checkMessage`: its keys are not in memory, or its MAC failed on them. */
export type Deferred = 'load-keys' | 'reload-keys';

/**
 * `checkMessage` without waiting, for a device whose keys are in memory (the worker's
 * every message once warm): saves the promises and microtask hops of the key lookup. Says
 * why when only `checkMessage` can decide (pass that on to it): keys to load, or a MAC that
 * fails against keys that may predate a rotation. Nothing is recorded (the replay window)
 * unless a verdict is returned.
 */
export function checkCachedMessage(message: IncomingMessage, options: CheckOptions): Verdict | Deferred {
  const topic = checkTopic(message);
  if (!isTopic(topic)) return topic;
  const device = options.directory.cached(topic.deviceId);
  if (device === undefined) return 'load-keys';
  const verdict = judge(message, topic, device, options, true);
  return verdict === RELOAD ? 'reload-keys' : verdict;
}

/** `judge` found the MAC wrong with keys that a reload might update. */
const RELOAD = Symbol('reload keys');

const isTopic = (value: TelemetryTopic | Verdict): value is TelemetryTopic => 'region' in value;

function checkTopic(message: IncomingMessage): TelemetryTopic | Verdict {
  const topic = message.parsed === undefined ? parseTopic(message.topic) : message.parsed;
  if (message.payload.length > MAX_PAYLOAD_BYTES) return reject(message, 'too-large', `${message.payload.length} bytes`, topic?.deviceId);
  if (!topic) return reject(message, 'bad-topic');
  return topic;
}

/** Every check after the key lookup. */
function judge(message: IncomingMessage, topic: TelemetryTopic, device: DeviceKeys | null, options: CheckOptions, mayReload: boolean): Verdict | typeof RELOAD {
  if (!device) return reject(message, 'unknown-device', null, topic.deviceId);
  if (device.region !== topic.region) return reject(message, 'wrong-region', `registered in ${device.region}`, device);
  const mac = decodeMac(message.mac);
  if (!mac) return reject(message, 'no-mac', message.mac === undefined ? null : 'malformed mac property', device);
  if (!preparedMacMatches(device.macKeys, message.payload, mac)) return mayReload ? RELOAD : reject(message, 'bad-mac', null, device);
  let body: unknown;
  try {
    body = JSON.parse(message.payload.toString('utf8'));
  } catch {
    return reject(message, 'not-json', null, device);
  }
  if (topic.kind === 'status') {
    const status = statusSchema.safeParse(body);
    if (!status.success) return reject(message, 'invalid', describe(status.error.issues), device);
    if (status.data.deviceId !== topic.deviceId) return reject(message, 'device-mismatch', `payload says ${status.data.deviceId}`, device);
    return { kind: 'status', deviceId: topic.deviceId, status: status.data };
  }
  let reading = acceptReading(body);
  if (!reading) {
    const parsed = readingSchema.safeParse(body);
    if (!parsed.success) return reject(message, 'invalid', describe(parsed.error.issues), device);
    reading = parsed.data;
  }
  if (reading.deviceId !== topic.deviceId) return reject(message, 'device-mismatch', `payload says ${reading.deviceId}`, device);
  if (reading.duration !== DURATION_BY_KIND[topic.kind]) return reject(message, 'invalid', `duration ${reading.duration} on ${topic.kind}`, device);
  if (!channelCountIs(reading, device.channelCount)) return reject(message, 'channel-count', `device has ${device.channelCount} channels`, device);
  const now = message.receivedAt.getTime() / 1000;
  if (reading.timestamp > now + options.maxSkewSeconds) return reject(message, 'future', `${Math.round(reading.timestamp - now)} s ahead`, device);
  if (reading.timestamp < now - options.maxAgeSeconds) return reject(message, 'stale', `${Math.round(now - reading.timestamp)} s old`, device);
  const fresh = options.window.advance(device.deviceId, reading.bootSeq, reading.seq);
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

function reject(message: IncomingMessage, reason: string, detail: string | null = null, device?: DeviceKeys | string): Verdict {
  return {
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
  };
}

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
