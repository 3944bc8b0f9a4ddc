import DataLoader from 'dataloader';
import type { Redis } from '../../lib/redis';
import type { LoaderSource, SubgraphContext } from '../context';
import type { CommandSender } from './command-sender';
import { commandsByDevice, transitionsByCommand, type CommandRow, type TransitionRow } from './commands.store';
import { statusesOf, type StatusRow } from './status.store';
import { getDeviceTargets, type DeviceTarget } from './targets.store';
import type { WebhookAdmin } from './webhooks/webhook-admin';
import { attemptsByDelivery, deliveriesByWebhook, type AttemptRow, type DeliveryRow } from './webhooks/webhooks.store';

/** Largest `last` of Device.commands. */
export const MAX_COMMANDS = 200;

/**
 * What mutations need beyond the database, shared by every request of the process (the
 * broker connection, the master key); carried with the loaders, the per-request bag that
 * serve-subgraph builds.
 */
export interface DeviceServices {
  commands: CommandSender;
  webhooks: WebhookAdmin;
}

type PageKey<K extends string> = Record<K, string> & { last: number };

/** Batches `last`-limited lists: one statement per distinct `last` in a response. */
function pagedLoader<K extends string, T>(key: K, load: (ids: string[], last: number) => Promise<Map<string, T[]>>) {
  return new DataLoader<PageKey<K>, T[], string>(
    async (keys) => {
      const byLast = new Map<number, Map<string, T[]>>();
      for (const last of new Set(keys.map((k) => k.last))) {
        byLast.set(last, await load(keys.filter((k) => k.last === last).map((k) => k[key]), last));
      }
      return keys.map((k) => byLast.get(k.last)?.get(k[key]) ?? []);
    },
    { cacheKeyFn: (k) => `${k.last}|${k[key]}` },
  );
}

/**
 * Per-request loaders. Devices load through `any()`: they are reached from an object the
 * caller was already allowed to see (fleet authorized the Device), and a device outside
 * the visible tenants loads as null, so its status and commands stay hidden. Webhook
 * deliveries are tenant administration and need tenancy:admin on the tenant.
 */
export function createDeviceLoaders({ pool, scope }: LoaderSource, redis: Redis, services: DeviceServices) {
  return {
    services,
    target: new DataLoader<string, DeviceTarget | null>(async (ids) => {
      const found = new Map((await getDeviceTargets(pool, (await scope()).any(), ids)).map((t) => [t.deviceId, t]));
      return ids.map((id) => found.get(id) ?? null);
    }),
    status: new DataLoader<string, StatusRow>(async (ids) => statusesOf(redis, ids)),
    commands: pagedLoader<'deviceId', CommandRow>('deviceId', async (ids, last) => commandsByDevice(pool, (await scope()).any(), ids, last)),
    history: new DataLoader<string, TransitionRow[]>(async (ids) => {
      const byCommand = await transitionsByCommand(pool, (await scope()).any(), ids);
      return ids.map((id) => byCommand.get(id) ?? []);
    }),
    deliveries: pagedLoader<'webhookId', DeliveryRow>('webhookId', async (ids, last) =>
      deliveriesByWebhook(pool, (await scope()).for('tenancy:admin'), ids, last),
    ),
    attempts: new DataLoader<string, AttemptRow[]>(async (ids) => {
      const byDelivery = await attemptsByDelivery(pool, (await scope()).for('tenancy:admin'), ids);
      return ids.map((id) => byDelivery.get(id) ?? []);
    }),
  };
}

export type DeviceLoaders = ReturnType<typeof createDeviceLoaders>;
export type DeviceContext = SubgraphContext<DeviceLoaders>;
