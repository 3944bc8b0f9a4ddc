import { recordAudit } from '../../auth/audit.store';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantTree } from '../helpers/tenants';
import { userOf } from '../helpers/users';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
});

afterAll(async () => {
  await platform.close();
});

const adminToken = async (tenantId: string, scopes = ['tenancy:admin', 'tenancy:read']) => {
  const client = await clientOf(platform.pool, platform.config.masterKey, tenantId, scopes);
  return clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, scopes.join(' '));
};

const CREATE = 'mutation($tenantId: ID!, $email: String!, $role: UserRole!) { createUser(tenantId: $tenantId, email: $email, password: "a long enough password", role: $role) { id tenantId email role } }';

describe('user management for tenant admins', () => {
  it('creates, lists, re-roles and disables users of its tenants, never of another tenant', async () => {
    const { a, a1, b } = await tenantTree(platform.pool, platform.config.masterKey, 0);
    const token = await adminToken(a.id);
    const email = `child-${a1.id.slice(0, 8)}@example.test`;
    const created = await platform.query(token, CREATE, { tenantId: a1.id, email, role: 'VIEWER' });
    expect(created.body.errors).toBeUndefined();
    const user = (created.body.data!.createUser as { id: string });
    expect(created.body.data!.createUser).toMatchObject({ tenantId: a1.id, email, role: 'VIEWER' });

    const foreign = await userOf(platform.pool, b.id, 'admin');
    const listed = await platform.query(token, '{ users { id } }');
    const ids = (listed.body.data!.users as { id: string }[]).map((u) => u.id);
    expect(ids).toContain(user.id);
    expect(ids).not.toContain(foreign.id);

    const promoted = await platform.query(token, `mutation { setUserRole(id: "${user.id}", role: OPERATOR) { role } }`);
    expect(promoted.body.data!.setUserRole).toEqual({ role: 'OPERATOR' });
    const disabled = await platform.query(token, `mutation { disableUser(id: "${user.id}") { disabledAt } }`);
    expect((disabled.body.data!.disableUser as { disabledAt: string }).disabledAt).toEqual(expect.any(String));

    for (const mutation of [`mutation { disableUser(id: "${foreign.id}") { id } }`, `mutation { setUserRole(id: "${foreign.id}", role: VIEWER) { id } }`]) {
      expect((await platform.query(token, mutation)).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    const intoForeign = await platform.query(token, CREATE, { tenantId: b.id, email: `x-${b.id.slice(0, 8)}@example.test`, role: 'ADMIN' });
    expect(intoForeign.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is refused without tenancy:admin', async () => {
    const { a } = await tenantTree(platform.pool, platform.config.masterKey, 0);
    const reader = await adminToken(a.id, ['tenancy:read']);
    const result = await platform.query(reader, '{ users { id } }');
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it('reads the audit trail of its tenants only', async () => {
    const { a, b } = await tenantTree(platform.pool, platform.config.masterKey, 0);
    await recordAudit(platform.pool, { type: 'account.locked', tenantId: a.id, subject: 'user-a', source: '192.0.2.1' });
    await recordAudit(platform.pool, { type: 'account.locked', tenantId: b.id, subject: 'user-b' });
    const token = await adminToken(a.id);
    const result = await platform.query(token, '{ auditEvents(first: 100) { type tenantId subject source } }');
    expect(result.body.errors).toBeUndefined();
    const events = result.body.data!.auditEvents as { type: string; tenantId: string; subject: string }[];
    expect(events).toContainEqual({ type: 'account.locked', tenantId: a.id, subject: 'user-a', source: '192.0.2.1' });
    expect(events.some((event) => event.tenantId === b.id)).toBe(false);
    // The admin's own token was issued and audited in its tenant.
    expect(events.some((event) => event.type === 'token.issued')).toBe(true);
  });
});
