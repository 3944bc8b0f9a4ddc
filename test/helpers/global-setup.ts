import crypto from 'node:crypto';
import { migrate } from '../../lib/migrate';

/**
 * One throwaway database and Redis key prefix per test run: tests never touch the
 * development database, and global-teardown removes both.
 */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  const base = new URL(process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  base.pathname = `/cypernex_test_${run}`;
  process.env.DATABASE_URL = base.toString();
  process.env.REDIS_KEY_PREFIX = `cpxtest:${run}:`;
  process.env.CYPERNEX_ENV = 'test';
  process.env.CYPERNEX_MASTER_KEY = crypto.randomBytes(32).toString('base64url');
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
  await migrate(process.env.DATABASE_URL);
}
