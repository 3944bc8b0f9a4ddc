import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { operationsRegister, operationsTrustedOnly } from '../../bin/cli/operations';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;
let tenantId: string;

beforeAll(async () => {
  platform = await startPlatform();
  tenantId = (await tenantWithDevices(platform.pool, platform.config.masterKey, 'Persisted', 1)).id;
});

afterAll(() => platform?.close());

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const cli = () => ({ config: platform.config, pool: () => platform.pool });

async function newClient() {
  const client = await clientOf(platform.pool, platform.config.masterKey, tenantId, ['tenancy:read']);
  return { clientId: client.clientId, token: await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read') };
}

function persisted(token: string, hash: string, query?: string) {
  return fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...(query ? { query } : {}), extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } }));
}

describe('automatic persisted queries', () => {
  it('registers a query by hash in Redis and then runs it from the hash alone', async () => {
    const { token } = await newClient();
    const query = `{ me { subject } } # ${crypto.randomUUID()}`;
    const hash = sha256(query);
    expect((await persisted(token, hash)).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await persisted(token, hash, query)).status).toBe(200);
    const fromHash = await persisted(token, hash);
    expect(fromHash.status).toBe(200);
    expect(fromHash.body.data).toEqual({ me: { subject: expect.any(String) } });
    // Stored in Redis, so that every gateway process knows it.
    expect(await platform.redis.get(`apq:${hash}`)).toBe(query);
  });

  it('refuses a hash that does not match the query', async () => {
    const { token } = await newClient();
    expect((await persisted(token, sha256('{ me { subject } }'), '{ tenants { id } }')).status).toBe(400);
  });
});

describe('trusted documents only', () => {
  it('lets such a client run only its registered operations, by text or by hash', async () => {
    const partner = await newClient();
    const other = await newClient();
    const file = path.join(os.tmpdir(), `ops-${crypto.randomUUID()}.graphql`);
    fs.writeFileSync(file, 'query Me { me { ...Who } }\nfragment Who on Viewer { subject clientId }\nquery Tenants { tenants { id name } }\n');
    const registered = (await operationsRegister.run(cli(), { client: partner.clientId, file })) as { operations: { name: string; hash: string; body: string }[] };
    fs.unlinkSync(file);
    expect(registered.operations.map((operation) => operation.name)).toEqual(['Me', 'Tenants']);
    expect(registered.operations.every((operation) => operation.hash === sha256(operation.body))).toBe(true);
    await operationsTrustedOnly.run(cli(), { client: partner.clientId, on: true });

    const [me, tenants] = registered.operations;
    expect((await platform.query(partner.token, me!.body)).body.data).toEqual({ me: { subject: partner.clientId, clientId: partner.clientId } });
    // The hash alone works although no APQ registration happened: the safelist has the text.
    const byHash = await persisted(partner.token, tenants!.hash);
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual({ tenants: [expect.objectContaining({ id: tenantId })] });

    const before = platform.subgraphCalls();
    const refused = await platform.query(partner.token, '{ me { subject } }');
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(platform.subgraphCalls()).toBe(before);

    // Other clients are not restricted.
    expect((await platform.query(other.token, '{ me { subject } }')).status).toBe(200);
  });

  it('refuses --on with --off and an unknown client', async () => {
    const { clientId } = await newClient();
    await expect(operationsTrustedOnly.run(cli(), { client: clientId, on: true, off: true })).rejects.toThrow(/exactly one/);
    await expect(operationsTrustedOnly.run(cli(), { client: 'nobody', on: true })).rejects.toThrow(/no client/);
  });
});
