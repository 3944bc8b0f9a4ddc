import { operatorScope } from '../../lib/tenant-scope';
import { WebhookAdmin } from '../../subgraphs/device/webhooks/webhook-admin';
import { optional, required, uuid, type Command } from './command';

export const webhookCreate: Command = {
  usage: '--tenant ID --url URL [--events "device.registered device.channel.updated ..."]',
  options: { tenant: { type: 'string' }, url: { type: 'string' }, events: { type: 'string' } },
  async run(ctx, options) {
    const admin = new WebhookAdmin({ pool: ctx.pool(), masterKey: ctx.config.masterKey, production: ctx.config.production });
    const events = optional(options, 'events')?.split(/[\s,]+/).filter(Boolean);
    const { webhook, secret } = await admin.create(operatorScope, { tenantId: uuid(options, 'tenant'), url: required(options, 'url'), events, createdBy: 'operator' });
    return { id: webhook.id, secret, events: webhook.events };
  },
};
