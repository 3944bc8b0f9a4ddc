import { createUser } from '../../auth/users.store';
import { InputError } from '../../lib/input-error';
import { operatorScope } from '../../lib/tenant-scope';
import { required, uuid, type Command } from './command';
import { requireTenant } from './tenant';

export const userCreate: Command = {
  usage: '--tenant ID --email E --password P --role viewer|operator|admin',
  options: { tenant: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' } },
  async run(ctx, options) {
    const tenantId = uuid(options, 'tenant');
    await requireTenant(ctx.pool(), tenantId);
    // Not trimmed: every character of a password counts.
    const password = options.password;
    if (typeof password !== 'string' || password === '') throw new InputError('--password is required', 'password');
    return createUser(ctx.pool(), operatorScope, { tenantId, email: required(options, 'email'), password, role: required(options, 'role') });
  },
};
