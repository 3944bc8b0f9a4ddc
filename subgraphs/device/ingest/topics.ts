/** CONTRACT §6 topics the worker consumes: telemetry/v1/{region}/{deviceId}/{se|le|status}. */
export type TelemetryKind = 'se' | 'le' | 'status';

export interface TelemetryTopic {
  region: string;
  deviceId: string;
  kind: TelemetryKind;
}

export const DEVICE_ID = /^D[0-9]{12}$/;
const REGION = /^[a-z]{2}[a-z0-9-]{0,14}$/;

export function parseTopic(topic: string): TelemetryTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'telemetry' || parts[1] !== 'v1') return null;
  const [, , region, deviceId, kind] = parts as [string, string, string, string, string];
  if (!REGION.test(region) || !DEVICE_ID.test(deviceId)) return null;
  if (kind !== 'se' && kind !== 'le' && kind !== 'status') return null;
  return { region, deviceId, kind };
}

export const telemetryTopic = (region: string, deviceId: string, kind: TelemetryKind): string => `telemetry/v1/${region}/${deviceId}/${kind}`;

/** The shared subscription (CONTRACT §6); tests pass their own group and region. */
export const subscriptionFilter = (group: string, region = '+'): string => `$share/${group}/telemetry/v1/${region}/+/+`;
