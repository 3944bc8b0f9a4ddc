import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform(
    { DEFENDER_COST_THRESHOLD: '3', DEFENDER_COST_ACTION: 'revoke', DEFENDER_RATE_LIMIT_THRESHOLD: '2', RATE_LIMIT_PRINCIPAL: '5' },
    { production: true },
  );
});

afterAll(() => platform?.close());

async function principal(scopes = ['tenancy:read', 'fleet:read']) {
  const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Prod', 0);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, scopes);
  return { tenantId: tenant.id, clientId: client.clientId, token: await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, scopes.join(' ')) };
}

const eventsOf = async (clientId: string) =>
  (await platform.pool.query<{ rule: string; action: string; deny_kind: string | null }>('select rule, action, deny_kind from security.events where subject = $1', [clientId])).rows;

describe('the defender in production', () => {
  it('blocks a principal after repeated introspection attempts', async () => {
    const prober = await principal();
    for (let i = 0; i < 4; i += 1) expect((await platform.query(prober.token, '{ __schema { types { name } } }')).status).toBe(400);
    expect((await platform.query(prober.token, '{ me { subject } }')).status).toBe(200);
    expect(await eventsOf(prober.clientId)).toEqual([]);
    expect((await platform.query(prober.token, '{ __type(name: "Device") { name } }')).status).toBe(400);
    const refused = await platform.query(prober.token, '{ me { subject } }');
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.message).toMatch(/introspection attempts in production/);
    expect(await eventsOf(prober.clientId)).toEqual([{ rule: 'introspection', action: 'block', deny_kind: 'subject' }]);
  });

  it('revokes a client whose operations keep being refused as too complex, when configured to', async () => {
    const spiker = await principal();
    const deep = '{ me { tenant { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } }';
    for (let i = 0; i < 3; i += 1) expect((await platform.query(spiker.token, deep)).body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const refused = await platform.query(spiker.token, '{ me { subject } }');
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.message).toMatch(/^credential revoked by the API defender after operations refused as too complex/);
    expect(await platform.redis.ttl(`deny:client:${spiker.clientId}`)).toBe(-1);
    expect(await eventsOf(spiker.clientId)).toEqual([{ rule: 'cost', action: 'revoke', deny_kind: 'client' }]);
  });

  it('blocks a principal that keeps hitting its rate limit', async () => {
    const hammer = await principal();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i += 1) statuses.push((await platform.query(hammer.token, '{ me { subject } }')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 403, 403]);
    expect(await eventsOf(hammer.clientId)).toEqual([{ rule: 'rate-limit', action: 'block', deny_kind: 'subject' }]);
  });
});
