import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { createDefender } from '../../gateway/defender/defender';
import { defenderSettings } from '../../gateway/defender/rules';
import { createLogger } from '../../lib/logger';
import { testConfig } from '../helpers/config';

describe('the defender with Redis unreachable', () => {
  it('logs that the observation was lost and leaves no rejection unhandled', async () => {
    // a port nothing listens on, and no offline queue: every command fails at once
    const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const defender = createDefender({ redis, pool: {} as Pool, settings: defenderSettings(testConfig()) });
      const logger = createLogger('test', 'silent');
      const errors: unknown[] = [];
      const spy = jest.spyOn(logger, 'error').mockImplementation(((...args: unknown[]) => void errors.push(args)) as never);
      const principal = { subject: 'c', clientId: 'c', tenantId: 't', principalType: 'client' as const, scopes: [] };
      await expect(defender.observe(principal, { probing: 1, denials: 2, lookups: 3, enumeration: 1 }, logger)).resolves.toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).toHaveLength(1);
      expect(unhandled).toEqual([]);
      spy.mockRestore();
    } finally {
      process.off('unhandledRejection', onUnhandled);
      redis.disconnect();
    }
  });
});
