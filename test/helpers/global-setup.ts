import crypto from 'node:crypto';
import { migrate } from '../../lib/migrate';
import { startTestBroker, type TestBroker } from './broker';

/**
 * One throwaway database, Redis key prefix and Mosquitto per test run: tests never touch the
 * development database or the development platform's broker, and global-teardown removes
 * all three. `TEST_MQTT_URL` points the run at another broker instead.
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
  if (process.env.TEST_MQTT_URL) process.env.MQTT_URL = process.env.TEST_MQTT_URL;
  else {
    const broker = await startTestBroker();
    (globalThis as { testBroker?: TestBroker }).testBroker = broker;
    process.env.MQTT_URL = broker.url;
  }
  await migrate(process.env.DATABASE_URL);
}
