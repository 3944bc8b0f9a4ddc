import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { isWellFormedApiKey } from '../../lib/api-key';
import { createPool } from '../../lib/postgres';
import { testConfig } from '../helpers/config';
import { cliJson, runCli } from '../helpers/run-cli';

const config = testConfig();

describe('identity CLI verbs and what the database keeps', () => {
  const pool = createPool(config.DATABASE_URL, { service: 'identity-test' });
  afterAll(() => pool.end());

  it('create users, clients, devices and API keys whose secrets appear nowhere in a dump of the database', async () => {
    const { id: tenantId } = cliJson<{ id: string }>(['tenant', 'create', '--name', `dump ${crypto.randomUUID()}`, '--region', 'au']);
    const password = `Correct horse ${crypto.randomBytes(6).toString('hex')}`;
    const email = `dump-${crypto.randomBytes(4).toString('hex')}@example.test`;
    const user = cliJson<{ id: string }>(['user', 'create', '--tenant', tenantId, '--email', email, '--password', password, '--role', 'operator']);
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    const client = cliJson<{ clientSecret: string }>(['client', 'create', '--tenant', tenantId, '--name', 'dump partner', '--grant', 'client_credentials', '--scopes', 'fleet:read']);
    const device = cliJson<{ dataKey: string; maintenanceKey: string }>(['device', 'register', '--tenant', tenantId, '--serial', `S-${crypto.randomUUID()}`, '--model', 'WW-6M']);
    const apiKey = cliJson<{ id: string; key: string }>(['apikey', 'create', '--tenant', tenantId, '--scopes', 'fleet:read telemetry:read']);
    expect(isWellFormedApiKey(apiKey.key)).toBe(true);

    const { rows } = await pool.query<{ password_hash: string }>('select password_hash from auth.users where id = $1', [user.id]);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const dump = execFileSync('pg_dump', ['--data-only', config.DATABASE_URL], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    expect(dump).toContain(email);
    for (const [what, secret] of Object.entries({ password, clientSecret: client.clientSecret, apiKey: apiKey.key, dataKey: device.dataKey, maintenanceKey: device.maintenanceKey })) {
      expect({ what, found: dump.includes(secret) }).toEqual({ what, found: false });
    }
  });

  it('revoke a key, and refuse what is not allowed with a one-line error', () => {
    const { id: tenantId } = cliJson<{ id: string }>(['tenant', 'create', '--name', `cli ${crypto.randomUUID()}`, '--region', 'au']);
    const { id } = cliJson<{ id: string }>(['apikey', 'create', '--tenant', tenantId, '--scopes', 'fleet:read', '--devices', 'D000000000001,D000000000002']);
    expect(cliJson(['apikey', 'revoke', '--id', id])).toEqual({});
    expect(runCli(['apikey', 'revoke', '--id', id, '--json'])).toMatchObject({ status: 2, stderr: expect.stringContaining('no active API key') });
    expect(runCli(['apikey', 'create', '--tenant', tenantId, '--scopes', 'fleet:write', '--json'])).toMatchObject({ status: 2, stderr: expect.stringContaining('not allowed for API keys') });
    expect(runCli(['user', 'create', '--tenant', tenantId, '--email', 'a@b.test', '--password', 'short', '--role', 'viewer', '--json'])).toMatchObject({ status: 2, stderr: expect.stringContaining('at least 12') });
    expect(runCli(['user', 'create', '--tenant', tenantId, '--email', 'a@b.test', '--password', 'long enough password', '--role', 'root', '--json'])).toMatchObject({ status: 2, stderr: expect.stringContaining('viewer, operator or admin') });
    expect(cliJson(['auth', 'deny', '--jti', 'some-token-id', '--ttl', '60'])).toEqual({});
    expect(cliJson(['auth', 'allow', '--jti', 'some-token-id'])).toEqual({ lifted: true });
    expect(runCli(['auth', 'deny', '--json'])).toMatchObject({ status: 2 });
  });
});
