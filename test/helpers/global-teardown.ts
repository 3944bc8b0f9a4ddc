import { dropDatabase } from '../../lib/postgres';
import { dropKeysWithPrefix } from '../../lib/redis';
import type { TestBroker } from './broker';

export default async function globalTeardown(): Promise<void> {
  if (process.env.DATABASE_URL?.includes('/cypernex_test_')) await dropDatabase(process.env.DATABASE_URL);
  const prefix = process.env.REDIS_KEY_PREFIX;
  if (prefix?.startsWith('cpxtest:')) await dropKeysWithPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
  await (globalThis as { testBroker?: TestBroker }).testBroker?.stop();
}
