/** CONTRACT §6: platform -> device commands and device -> platform results. */
export const commandTopic = (region: string, deviceId: string): string => `maintenance/v1/${region}/${deviceId}/cmd`;
export const resultTopic = (region: string, deviceId: string): string => `maintenance/v1/${region}/${deviceId}/res`;

const DEVICE_ID = /^D[0-9]{12}$/;
const REGION = /^[a-z]{2}[a-z0-9-]{0,14}$/;

export function parseResultTopic(topic: string): { region: string; deviceId: string } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'maintenance' || parts[1] !== 'v1' || parts[4] !== 'res') return null;
  const [, , region, deviceId] = parts as [string, string, string, string];
  return REGION.test(region) && DEVICE_ID.test(deviceId) ? { region, deviceId } : null;
}

/**
 * Shared-subscription group of the device subgraph's replicas. Replicas of one deployment
 * share a Redis prefix, so the group follows it: two deployments on one broker (or two
 * test runs) never split each other's answers.
 */
export const replicaGroup = (name: string, redisPrefix: string): string => `${name}-${redisPrefix.replace(/[^A-Za-z0-9_-]/g, '') || 'default'}`;
