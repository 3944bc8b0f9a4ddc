import type { Pool } from 'pg';
import { COMMAND_APPLIED, newEvent, type PlatformEvent } from '../../lib/events';
import { tenantsScope } from '../../lib/tenant-scope';
import { isUuid } from '../../schema/ids';
import { answerSchema, macVerifies, type Answer } from './command-message';
import { getCommand, OPEN_STATUSES, recordRejectedAnswer, transitionCommand, type CommandRow, type CommandStatus } from './commands.store';
import { loadDeviceSecrets } from './keys.store';
import { parseResultTopic } from './maintenance-topics';

/** Commands results are small JSON objects; anything bigger is refused unparsed. */
const MAX_ANSWER_BYTES = 4096;

const NEXT_STATUS: Record<Answer['status'], { to: CommandStatus; from: readonly CommandStatus[] }> = {
  accepted: { to: 'ACCEPTED', from: ['PENDING', 'SENT'] },
  applied: { to: 'APPLIED', from: OPEN_STATUSES },
  rejected: { to: 'REJECTED', from: OPEN_STATUSES },
  failed: { to: 'FAILED', from: OPEN_STATUSES },
};

/** What an APPLIED command changes elsewhere; it commits with the transition (outbox). */
function effectsOf(command: CommandRow): PlatformEvent[] {
  if (command.status !== 'APPLIED') return [];
  if (command.type === 'setCtRating') {
    return [newEvent(COMMAND_APPLIED, command.tenantId, { commandId: command.id, type: command.type, params: command.params }, command.deviceId)];
  }
  if (command.type === 'firmwareUpgrade') {
    return [newEvent('device.firmware.updated', command.tenantId, { commandId: command.id, version: command.params.version }, command.deviceId)];
  }
  return [];
}

export interface IncomingAnswer {
  topic: string;
  payload: Buffer;
  mac: unknown;
  correlationData: Buffer | undefined;
}

export type AnswerOutcome = { kind: 'moved'; command: CommandRow } | { kind: 'rejected'; reason: string };

/**
 * A device's answer changes its command only when it is signed with that device's
 * maintenance key, carries the command id as correlation data, names the same id in its
 * payload, and the command is still open. Anything else is recorded and changes nothing.
 */
export async function handleAnswer(pool: Pool, masterKey: Buffer, answer: IncomingAnswer): Promise<AnswerOutcome> {
  const topic = parseResultTopic(answer.topic);
  const secrets = topic ? (await loadDeviceSecrets(pool, masterKey, [topic.deviceId])).get(topic.deviceId) : undefined;
  const correlation = answer.correlationData?.toString('utf8') ?? null;
  const reject = async (reason: string): Promise<AnswerOutcome> => {
    await recordRejectedAnswer(pool, {
      topic: answer.topic,
      deviceId: topic?.deviceId ?? null,
      tenantId: secrets?.tenantId ?? null,
      correlation,
      reason,
      payload: answer.payload,
    });
    return { kind: 'rejected', reason };
  };
  if (!topic) return reject('bad-topic');
  if (!secrets) return reject('unknown-device');
  if (secrets.region !== topic.region) return reject('wrong-region');
  if (answer.payload.length > MAX_ANSWER_BYTES) return reject('too-large');
  if (!macVerifies(secrets.maintenanceKey, answer.payload, answer.mac)) return reject('bad-mac');
  if (!correlation || !isUuid(correlation)) return reject('no-correlation');
  let parsed;
  try {
    parsed = answerSchema.safeParse(JSON.parse(answer.payload.toString('utf8')));
  } catch {
    return reject('not-json');
  }
  if (!parsed.success) return reject('invalid');
  if (parsed.data.id.toLowerCase() !== correlation.toLowerCase()) return reject('correlation-mismatch');
  const scope = tenantsScope([secrets.tenantId]);
  const next = NEXT_STATUS[parsed.data.status];
  const command = await transitionCommand(pool, scope, topic.deviceId, correlation.toLowerCase(), {
    ...next,
    source: 'device',
    detail: parsed.data.detail ?? null,
    events: effectsOf,
  });
  if (command) return { kind: 'moved', command };
  const known = await getCommand(pool, scope, topic.deviceId, correlation.toLowerCase());
  return reject(known ? `not-open (${known.status})` : 'unknown-command');
}
