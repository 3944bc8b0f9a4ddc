import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { newEvent } from '../../lib/events';
import { createPool } from '../../lib/postgres';
import { operatorScope } from '../../lib/tenant-scope';
import { deliverer } from '../../subgraphs/device/webhooks/deliver';
import { createDeliveryQueue, startDeliveryWorker, type DeliveryWorker } from '../../subgraphs/device/webhooks/delivery-queue';
import { postWebhook } from '../../subgraphs/device/webhooks/post-webhook';
import { verifySignature } from '../../subgraphs/device/webhooks/signature';
import { WebhookAdmin } from '../../subgraphs/device/webhooks/webhook-admin';
import { checkWebhookUrl } from '../../subgraphs/device/webhooks/webhook-url';
import { createDeliveries } from '../../subgraphs/device/webhooks/webhooks.store';
import { testConfig } from '../helpers/config';
import { regionTenant, waitFor, webhookReceiver } from './fixtures';

// a queue of its own: no other test's worker takes these jobs
const config = testConfig({ REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? ''}w${crypto.randomBytes(4).toString('hex')}:`, WEBHOOK_BACKOFF_MS: '300', WEBHOOK_ATTEMPTS: '6' });
let pool: Pool;

beforeAll(() => {
  pool = createPool(config.DATABASE_URL, { service: 'test', max: 5 });
});
afterAll(() => pool.end());

const startWorker = () =>
  startDeliveryWorker(config, deliverer({ pool, masterKey: config.masterKey, production: false, timeoutMs: 2000 }), () => undefined);

describe('webhook delivery', () => {
  it('delivers exactly once after three failures, across a restart of the worker, with every attempt recorded', async () => {
    const parent = await regionTenant(pool, config.masterKey, 0);
    const child = await regionTenant(pool, config.masterKey, 0, parent.id);
    const hook = await webhookReceiver(3);
    const admin = new WebhookAdmin({ pool, masterKey: config.masterKey, production: false });
    const { webhook, secret } = await admin.create(operatorScope, { tenantId: parent.id, url: hook.url, createdBy: 'test' });
    const queue = createDeliveryQueue(config);
    let worker: DeliveryWorker | null = startWorker();
    try {
      // an event of a descendant reaches the parent's webhook; the same event twice is one delivery
      const event = newEvent('device.registered', child.id, { serial: 'S-1' }, 'D100000000001');
      const ids = await createDeliveries(pool, event);
      expect(await createDeliveries(pool, event)).toEqual(ids);
      expect(ids).toHaveLength(1);
      await queue.enqueue(ids);
      await queue.enqueue(ids);

      await waitFor('the first failure', () => hook.requests >= 1);
      await worker.close();
      worker = null;
      const requestsWhileDown = hook.requests;
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(hook.requests).toBe(requestsWhileDown);
      worker = startWorker();

      await waitFor('the delivery', () => hook.delivered.length > 0, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(hook.requests).toBe(4);
      expect(hook.delivered).toHaveLength(1);
      const [delivered] = hook.delivered;
      expect(JSON.parse(delivered!.body)).toEqual(event);
      expect(verifySignature(secret, String(delivered!.headers['cypernex-signature']), delivered!.body)).toBe(true);

      const { rows } = await pool.query<{ attempt: number; status_code: number }>(
        'select a.attempt, a.status_code from device.webhook_attempts a join device.webhook_deliveries d on d.id = a.delivery_id where d.webhook_id = $1 order by a.attempt',
        [webhook.id],
      );
      expect(rows).toEqual([
        { attempt: 1, status_code: 500 },
        { attempt: 2, status_code: 500 },
        { attempt: 3, status_code: 500 },
        { attempt: 4, status_code: 204 },
      ]);
      const status = await pool.query('select status from device.webhook_deliveries where webhook_id = $1', [webhook.id]);
      expect(status.rows).toEqual([{ status: 'DELIVERED' }]);
    } finally {
      await worker?.close();
      await queue.close();
      await hook.close();
    }
  });

  it('does not deliver events of unrelated or parent tenants', async () => {
    const parent = await regionTenant(pool, config.masterKey, 0);
    const child = await regionTenant(pool, config.masterKey, 0, parent.id);
    const stranger = await regionTenant(pool, config.masterKey, 0);
    const admin = new WebhookAdmin({ pool, masterKey: config.masterKey, production: false });
    await admin.create(operatorScope, { tenantId: child.id, url: 'http://127.0.0.1:9/none', events: ['device.status.changed'], createdBy: 'test' });
    expect(await createDeliveries(pool, newEvent('device.status.changed', parent.id, {}))).toEqual([]);
    expect(await createDeliveries(pool, newEvent('device.status.changed', stranger.id, {}))).toEqual([]);
    expect(await createDeliveries(pool, newEvent('device.registered', child.id, {}))).toEqual([]);
    expect(await createDeliveries(pool, newEvent('device.status.changed', child.id, {}))).toHaveLength(1);
  });
});

describe('webhook URLs in production', () => {
  it.each([
    'http://93.184.216.34/hook',
    'https://127.0.0.1/hook',
    'https://10.1.2.3/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'https://[::ffff:192.168.1.1]/hook',
    'https://localhost/hook',
    'https://user:pw@93.184.216.34/hook',
  ])('refuses %s', async (url) => {
    await expect(checkWebhookUrl(url, true)).rejects.toThrow(/url:/);
  });

  it('accepts an https URL of a public address, and http://127.0.0.1 outside production', async () => {
    await expect(checkWebhookUrl('https://93.184.216.34/hook', true)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://127.0.0.1:8080/hook', false)).resolves.toBeInstanceOf(URL);
  });

  it('refuses to connect to a private address at delivery time', async () => {
    const hook = await webhookReceiver();
    try {
      const url = new URL(hook.url);
      const literal = await postWebhook(url, {}, '{}', { production: true, timeoutMs: 1000 });
      url.hostname = 'localhost';
      const named = await postWebhook(url, {}, '{}', { production: true, timeoutMs: 1000 });
      expect([literal.statusCode, named.statusCode]).toEqual([null, null]);
      expect(named.error).toMatch(/not a public address/);
      expect(hook.requests).toBe(0);
    } finally {
      await hook.close();
    }
  });
});
