import crypto from 'node:crypto';
import { waitFor, webhookReceiver } from '../device/fixtures';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantTree, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ DEFENDER_DENIALS_THRESHOLD: '5', DEFENDER_THROTTLE_LIMIT: '5' });
});

afterAll(() => platform?.close());

const READ = ['tenancy:read', 'fleet:read'];
const ADMIN = ['tenancy:admin', 'tenancy:read', 'security:read'];

async function principal(tenantId: string, scopes = READ) {
  const client = await clientOf(platform.pool, platform.config.masterKey, tenantId, scopes);
  return { clientId: client.clientId, token: await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, scopes.join(' ')) };
}

const randomDeviceId = () => `D${crypto.randomInt(100_000, 999_999)}${crypto.randomInt(100_000, 999_999)}`;
const probe = (i: number) => `{ me { subject hidden${i} } }`;
const EVENTS = '{ securityEvents { edges { cursor node { id rule principal principalType clientId action detail createdAt expiresAt liftedAt liftedBy tenant { id } } } pageInfo { hasNextPage endCursor } } }';

interface EventNode {
  id: string;
  rule: string;
  principal: string;
  action: string;
  detail: Record<string, number>;
  liftedAt: string | null;
  tenant: { id: string };
}

async function eventsSeenBy(token: string): Promise<EventNode[]> {
  const result = await platform.query(token, EVENTS);
  expect(result.body.errors).toBeUndefined();
  return (result.body.data!.securityEvents as { edges: { node: EventNode }[] }).edges.map((edge) => edge.node);
}

const LIFT = 'mutation ($id: ID!) { liftSecurityAction(id: $id) { id action liftedAt liftedBy } }';

describe('unknown-field probing', () => {
  it('blocks the prober for the configured time with a clear message, records and announces the event, and leaves others alone', async () => {
    const { a, b } = await tenantTree(platform.pool, platform.config.masterKey, 1);
    const admin = await principal(a.id, ADMIN);
    const hook = await webhookReceiver();
    try {
      const created = await platform.query(admin.token, 'mutation ($t: ID!, $u: String!) { createWebhook(tenantId: $t, url: $u, events: ["security.event"]) { secret } }', { t: a.id, u: hook.url });
      expect(created.body.errors).toBeUndefined();
      const prober = await principal(a.id);
      const colleague = await principal(a.id);

      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push((await platform.query(prober.token, probe(i))).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
      expect(statuses.slice(20)).toEqual(Array(10).fill(403));

      const refused = await platform.query(prober.token, '{ me { subject } }');
      expect(refused.status).toBe(403);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.body.errors?.[0]?.message).toMatch(/^blocked by the API defender until \S+ after unknown-field probing .*security event [0-9a-f-]{36}.*a tenant admin can lift it$/);
      const ttl = await platform.redis.ttl(`deny:subject:${prober.clientId}`);
      expect(ttl).toBeGreaterThan(platform.config.DEFENDER_BLOCK_SECONDS - 10);
      expect(ttl).toBeLessThanOrEqual(platform.config.DEFENDER_BLOCK_SECONDS);

      expect((await platform.query(colleague.token, '{ me { subject } }')).status).toBe(200);

      const [event] = (await eventsSeenBy(admin.token)).filter((e) => e.principal === prober.clientId);
      expect(event).toMatchObject({ rule: 'probing', action: 'block', liftedAt: null, tenant: { id: a.id }, detail: { threshold: 20, count: 20 } });
      const outsider = await principal(b.id, ADMIN);
      expect((await eventsSeenBy(outsider.token)).map((e) => e.id)).not.toContain(event!.id);

      const delivery = await waitFor('security.event webhook', () => hook.delivered.map((d) => JSON.parse(d.body) as { type: string; data: Record<string, unknown> }).find((e) => e.type === 'security.event'));
      expect(delivery.data).toMatchObject({ securityEventId: event!.id, rule: 'probing', action: 'block', subject: prober.clientId });
    } finally {
      await hook.close();
    }
  });
});

describe('id enumeration', () => {
  it('trips on 50 lookups of random device ids, and lifting by an admin of the tenant restores access', async () => {
    const { a, b } = await tenantTree(platform.pool, platform.config.masterKey, 1);
    const enumerator = await principal(a.id);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i += 1) {
      const result = await platform.query(enumerator.token, 'query ($id: ID!) { device(id: $id) { id } }', { id: randomDeviceId() });
      status = result.status;
      if (status === 200) expect(result.body.data).toEqual({ device: null });
    }
    const refused = await platform.query(enumerator.token, '{ me { subject } }');
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.message).toMatch(/id enumeration/);

    const admin = await principal(a.id, ADMIN);
    const [event] = (await eventsSeenBy(admin.token)).filter((e) => e.principal === enumerator.clientId);
    expect(event).toMatchObject({ rule: 'enumeration', action: 'block', detail: { count: 30, lookups: 30 } });

    const stranger = await principal(b.id, ADMIN);
    const foreign = await platform.query(stranger.token, LIFT, { id: event!.id });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await platform.query(enumerator.token, '{ me { subject } }')).status).toBe(403);

    const lifted = await platform.query(admin.token, LIFT, { id: event!.id });
    expect(lifted.body.errors).toBeUndefined();
    expect(lifted.body.data!.liftSecurityAction).toMatchObject({ id: event!.id, liftedAt: expect.any(String), liftedBy: admin.clientId });
    expect((await platform.query(enumerator.token, '{ me { subject } }')).status).toBe(200);
    const again = await platform.query(admin.token, LIFT, { id: event!.id });
    expect(again.body.data!.liftSecurityAction).toEqual(lifted.body.data!.liftSecurityAction);
    // the counts start again: one more miss does not trip the rule at once
    expect((await platform.query(enumerator.token, 'query ($id: ID!) { device(id: $id) { id } }', { id: randomDeviceId() })).status).toBe(200);
    expect((await platform.query(enumerator.token, '{ me { subject } }')).status).toBe(200);
  });

  it('lets a parent tenant\'s admin read and lift the events of a child tenant', async () => {
    const { a, a1 } = await tenantTree(platform.pool, platform.config.masterKey, 0);
    const child = await principal(a1.id);
    for (let i = 0; i < 30; i += 1) await platform.query(child.token, probe(i));
    expect((await platform.query(child.token, '{ me { subject } }')).status).toBe(403);
    const parentAdmin = await principal(a.id, ADMIN);
    const [event] = (await eventsSeenBy(parentAdmin.token)).filter((e) => e.principal === child.clientId);
    expect(event).toMatchObject({ rule: 'probing', tenant: { id: a1.id } });
    expect((await platform.query(parentAdmin.token, LIFT, { id: event!.id })).body.errors).toBeUndefined();
    expect((await platform.query(child.token, '{ me { subject } }')).status).toBe(200);
  });
});

describe('below the thresholds', () => {
  it('records nothing for a few typos and for lookups of devices that exist', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Quiet', 3);
    const careful = await principal(tenant.id);
    for (let i = 0; i < 19; i += 1) expect((await platform.query(careful.token, probe(i))).status).toBe(400);
    for (let i = 0; i < 60; i += 1) {
      const id = i % 4 === 0 ? randomDeviceId() : tenant.devices[i % 3]!.id;
      expect((await platform.query(careful.token, 'query ($id: ID!) { device(id: $id) { id } }', { id })).status).toBe(200);
    }
    expect((await platform.query(careful.token, '{ me { subject } }')).status).toBe(200);
    const admin = await principal(tenant.id, ADMIN);
    expect(await eventsSeenBy(admin.token)).toEqual([]);
  });
});

describe('authorization denials', () => {
  it('throttles a principal that keeps asking for what it may not see: the lowered limit answers 429', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Denied', 0);
    const narrow = await principal(tenant.id, ['tenancy:read']);
    for (let i = 0; i < 5; i += 1) {
      const result = await platform.query(narrow.token, '{ me { subject } devices { edges { node { id } } } }');
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    }
    // 5 per minute while throttled; a minute boundary in between may allow 5 more
    let served = 0;
    let refused: Awaited<ReturnType<Platform['query']>> | undefined;
    while (!refused && served <= 10) {
      const result = await platform.query(narrow.token, '{ me { subject } }');
      if (result.status === 200) served += 1;
      else refused = result;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused?.body.errors?.[0]?.message).toMatch(/^throttled by the API defender after a burst of authorization denials/);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    const admin = await principal(tenant.id, ADMIN);
    const [event] = await eventsSeenBy(admin.token);
    expect(event).toMatchObject({ rule: 'denials', action: 'throttle', principal: narrow.clientId });
    await platform.query(admin.token, LIFT, { id: event!.id });
    expect((await platform.query(narrow.token, '{ me { subject } }')).status).toBe(200);
  });
});
