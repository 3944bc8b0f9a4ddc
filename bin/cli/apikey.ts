import { createApiKey, revokeApiKey } from '../../auth/api-keys.store';
import { recordAudit } from '../../auth/audit.store';
import { deny } from '../../lib/deny-list';
import { InputError } from '../../lib/input-error';
import { operatorScope } from '../../lib/tenant-scope';
import { withRedis } from './auth';
import { optional, required, uuid, type Command } from './command';
import { requireTenant } from './tenant';

/** Covers the gateway's cached lookups (a few seconds) after which the database's revocation rules alone. */
const REVOKED_KEY_DENY_SECONDS = 300;

export const apikeyCreate: Command = {
  usage: '--tenant ID --scopes "fleet:read telemetry:read telemetry:export" [--devices D1,D2]',
  options: { tenant: { type: 'string' }, scopes: { type: 'string' }, devices: { type: 'string' } },
  async run(ctx, options) {
    const tenantId = uuid(options, 'tenant');
    await requireTenant(ctx.pool(), tenantId);
    const devices = optional(options, 'devices');
    const created = await createApiKey(ctx.pool(), ctx.config.masterKey, operatorScope, {
      tenantId,
      scopes: required(options, 'scopes').split(/[\s,]+/).filter(Boolean),
      ...(devices ? { deviceIds: devices.split(/[\s,]+/).filter(Boolean) } : {}),
    });
    await recordAudit(ctx.pool(), { type: 'api_key.created', tenantId, subject: created.id, detail: { by: 'cli', devices: devices ?? null } });
    return created;
  },
};

export const apikeyRevoke: Command = {
  usage: '--id ID   (refused at the gateway at once)',
  options: { id: { type: 'string' } },
  async run(ctx, options) {
    const id = uuid(options, 'id');
    const revoked = await revokeApiKey(ctx.pool(), operatorScope, id);
    if (!revoked) throw new InputError(`--id: no active API key ${id}`, 'id');
    await withRedis(ctx.config, (redis) => deny(redis, 'subject', id, REVOKED_KEY_DENY_SECONDS));
    await recordAudit(ctx.pool(), { type: 'api_key.revoked', tenantId: revoked.tenantId, subject: id, detail: { by: 'cli' } });
    return {};
  },
};
