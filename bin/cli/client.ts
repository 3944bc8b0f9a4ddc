import { createClient, type ClientGrant } from '../../auth/clients.store';
import { grantPartner } from '../../subgraphs/tenancy/store';
import { operatorScope } from '../../lib/tenant-scope';
import { findClient } from '../../auth/clients.store';
import { InputError } from '../../lib/input-error';
import { optional, required, uuid, type Command } from './command';
import { requireTenant } from './tenant';

export const clientCreate: Command = {
  usage: '--tenant ID --name N --grant client_credentials|device_code|authorization_code --scopes "a b c" [--control] [--redirect-uri URI]',
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    grant: { type: 'string' },
    scopes: { type: 'string' },
    control: { type: 'boolean' },
    'redirect-uri': { type: 'string', multiple: true },
  },
  async run(ctx, options) {
    const tenantId = uuid(options, 'tenant');
    await requireTenant(ctx.pool(), tenantId);
    const redirect = (options as Record<string, unknown>)['redirect-uri'] as string[] | undefined;
    return createClient(ctx.pool(), ctx.config.masterKey, {
      tenantId,
      name: required(options, 'name'),
      grant: required(options, 'grant') as ClientGrant,
      scopes: required(options, 'scopes').split(/[\s,]+/).filter(Boolean),
      control: options.control === true,
      redirectUris: redirect ?? [],
    });
  },
};

export const partnerGrant: Command = {
  usage: '--client CLIENT_ID --tenant ID --scopes "a b"',
  options: { client: { type: 'string' }, tenant: { type: 'string' }, scopes: { type: 'string' } },
  async run(ctx, options) {
    const clientId = required(options, 'client');
    if (!(await findClient(ctx.pool(), operatorScope, clientId))) throw new InputError(`--client: no client ${clientId}`, 'client');
    await grantPartner(ctx.pool(), operatorScope, {
      clientId,
      tenantId: uuid(options, 'tenant'),
      scopes: (optional(options, 'scopes') ?? '').split(/[\s,]+/).filter(Boolean),
    });
    return {};
  },
};
