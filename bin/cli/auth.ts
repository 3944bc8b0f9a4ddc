import { rotateSigningKeys } from '../../auth/key-rotation';
import type { Config } from '../../lib/config';
import { deny, lift, type DenyKind } from '../../lib/deny-list';
import { InputError } from '../../lib/input-error';
import { createRedis, type Redis } from '../../lib/redis';
import { integer, optional, type Command } from './command';

/** A Redis connection for one command, closed when it ends. */
export async function withRedis<T>(config: Config, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'cli' });
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export const authRotateKeys: Command = {
  usage: '(run twice: 1. publish the next key, 2. sign with it; the old key verifies until its tokens expire)',
  options: {},
  run: (ctx) => withRedis(ctx.config, (redis) => rotateSigningKeys(ctx.pool(), ctx.config.masterKey, { redis, prefix: ctx.config.REDIS_KEY_PREFIX })),
};

function target(options: Record<string, string | boolean | undefined>): { kind: DenyKind; value: string } {
  const given = (['jti', 'subject', 'client'] as const).flatMap((kind) => {
    const value = optional(options, kind);
    return value ? [{ kind, value }] : [];
  });
  if (given.length !== 1) throw new InputError('name exactly one of --jti, --subject or --client', 'jti');
  return given[0]!;
}

export const authDeny: Command = {
  usage: '--jti ID | --subject SUB | --client CLIENT_ID [--ttl SECONDS]   (refused at the gateway at once)',
  options: { jti: { type: 'string' }, subject: { type: 'string' }, client: { type: 'string' }, ttl: { type: 'string' } },
  async run(ctx, options) {
    const { kind, value } = target(options);
    const ttl = optional(options, 'ttl') === undefined ? undefined : integer(options, 'ttl', 0, 1, 365 * 86400);
    await withRedis(ctx.config, (redis) => deny(redis, kind, value, ttl));
    return {};
  },
};

export const authAllow: Command = {
  usage: '--jti ID | --subject SUB | --client CLIENT_ID   (lifts an auth deny)',
  options: { jti: { type: 'string' }, subject: { type: 'string' }, client: { type: 'string' } },
  async run(ctx, options) {
    const { kind, value } = target(options);
    return { lifted: await withRedis(ctx.config, (redis) => lift(redis, kind, value)) };
  },
};
