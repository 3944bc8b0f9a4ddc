import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { openSecret, sealSecret } from '../../../lib/master-key';
import type { TenantScope } from '../../../lib/tenant-scope';
import { parseUuid } from '../../../schema/ids';
import { parseEventTypes } from './partner-events';
import { checkWebhookUrl } from './webhook-url';
import { insertWebhook, type WebhookRow } from './webhooks.store';

export const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';

export const openWebhookSecret = (masterKey: Buffer, sealed: string): string => openSecret(masterKey, WEBHOOK_SECRET_PURPOSE, sealed).toString('utf8');

export interface NewWebhook {
  tenantId: string;
  url: string;
  events?: readonly string[] | null;
  /** Subject of whoever registers it (a principal, or `operator` from the CLI). */
  createdBy: string;
}

/** Webhook registration shared by the CLI and the GraphQL mutations. */
export class WebhookAdmin {
  constructor(private readonly options: { pool: Pool; masterKey: Buffer; production: boolean }) {}

  /** The secret is returned once; it is stored sealed because every delivery is signed with it. */
  async create(scope: TenantScope, input: NewWebhook): Promise<{ webhook: WebhookRow; secret: string }> {
    const tenantId = parseUuid(input.tenantId, 'tenantId');
    const events = parseEventTypes(input.events);
    const url = await checkWebhookUrl(input.url, this.options.production);
    const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
    const webhook = await insertWebhook(this.options.pool, scope, {
      tenantId,
      url: url.toString(),
      events,
      sealedSecret: sealSecret(this.options.masterKey, WEBHOOK_SECRET_PURPOSE, Buffer.from(secret)),
      createdBy: input.createdBy,
    });
    return { webhook, secret };
  }
}
