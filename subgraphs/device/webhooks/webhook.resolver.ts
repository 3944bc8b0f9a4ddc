import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { InputError } from '../../../lib/input-error';
import { Policy } from '../../../schema/authorization';
import { clientError } from '../../../schema/errors';
import { parseUuid } from '../../../schema/ids';
import type { DeviceContext } from '../loaders';
import { CreatedWebhook, Webhook, WebhookAttempt, WebhookDelivery } from './webhook';
import { deleteWebhook, listWebhooks, type AttemptRow, type DeliveryRow, type WebhookRow } from './webhooks.store';

const MAX_DELIVERIES = 200;
const adminScope = async (context: DeviceContext) => (await context.scope()).for('tenancy:admin');

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook], { description: 'Webhooks of the tenants the caller administers.' })
  @Policy([['tenant-admin']])
  async webhooks(@Arg('tenantId', () => ID, { nullable: true }) tenantId: string | null, @Ctx() context: DeviceContext): Promise<WebhookRow[]> {
    return listWebhooks(context.pool, await adminScope(context), tenantId ? parseUuid(tenantId, 'tenantId') : null);
  }

  @Mutation(() => CreatedWebhook)
  @Policy([['tenant-admin']])
  async createWebhook(
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('url') url: string,
    @Arg('events', () => [String], { nullable: true, description: 'Default: every partner event.' }) events: string[] | null,
    @Ctx() context: DeviceContext,
  ): Promise<CreatedWebhook> {
    return context.loaders.services.webhooks.create(await adminScope(context), { tenantId, url, events, createdBy: context.principal.subject });
  }

  /** A foreign id answers like a missing one. */
  @Mutation(() => Boolean)
  @Policy([['tenant-admin']])
  async deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() context: DeviceContext): Promise<boolean> {
    if (!(await deleteWebhook(context.pool, await adminScope(context), parseUuid(id, 'id')))) throw clientError('NOT_FOUND', `no webhook ${id}`);
    return true;
  }

  @FieldResolver(() => [WebhookDelivery], { description: 'Newest first.' })
  deliveries(@Root() webhook: WebhookRow, @Arg('last', () => Int, { defaultValue: 20 }) last: number, @Ctx() context: DeviceContext): Promise<DeliveryRow[]> {
    if (!Number.isInteger(last) || last < 1 || last > MAX_DELIVERIES) throw new InputError(`last: must be between 1 and ${MAX_DELIVERIES}`, 'last');
    return context.loaders.deliveries.load({ webhookId: webhook.id, last });
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookAttempt], { description: 'Oldest first.' })
  attempts(@Root() delivery: DeliveryRow, @Ctx() context: DeviceContext): Promise<AttemptRow[]> {
    return context.loaders.attempts.load(delivery.id);
  }
}
