import { InputError } from '../../lib/input-error';
import { isDeviceId } from '../../schema/ids';
import { listDeadLetters } from '../../subgraphs/telemetry/dead-letters';
import { verifyTelemetry } from '../../subgraphs/telemetry/verify';
import { integer, optional, required, type Command } from './command';

function deviceOption(options: Record<string, string | boolean | undefined>, required_: boolean): string | undefined {
  const value = required_ ? required(options, 'device') : optional(options, 'device');
  if (value !== undefined && !isDeviceId(value)) throw new InputError(`--device must be a device id (D and 12 digits), got ${JSON.stringify(value)}`, 'device');
  return value;
}

function instant(options: Record<string, string | boolean | undefined>, name: string): Date {
  const value = required(options, name);
  const date = new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value);
  if (Number.isNaN(date.getTime())) throw new InputError(`--${name} must be an ISO 8601 time or unix seconds, got ${JSON.stringify(value)}`, name);
  return date;
}

/** CONTRACT §4: rejected messages, newest first, with their reasons. */
export const ingestDeadletters: Command = {
  usage: '[--device ID] [--limit N]',
  options: { device: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, options) {
    const deviceId = deviceOption(options, false);
    return listDeadLetters(ctx.pool(), { ...(deviceId ? { deviceId } : {}), limit: integer(options, 'limit', 50, 1, 1000) });
  },
};

/**
 * Tamper detection on stored data: every reading of the device in [from, to) is checked
 * against its archived signed bytes and MAC; the exit code is 1 when any row does not match.
 */
export const telemetryVerify: Command = {
  usage: '--device ID --from TIME --to TIME',
  options: { device: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  async run(ctx, options) {
    const deviceId = deviceOption(options, true)!;
    const from = instant(options, 'from');
    const to = instant(options, 'to');
    if (to <= from) throw new InputError('--to must be after --from');
    const result = await verifyTelemetry(ctx.pool(), ctx.config.masterKey, { deviceId, from, to });
    if (result.mismatches.length > 0) process.exitCode = 1;
    return { deviceId, from: from.toISOString(), to: to.toISOString(), ok: result.mismatches.length === 0, ...result };
  },
};
