import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { InputError } from '../lib/input-error';
import { scopedQuery, withScope } from '../lib/postgres';
import { scopeIncludes, type TenantScope } from '../lib/tenant-scope';
import { hashPassword, passwordProblem } from './password';
import { isRole, type Role } from './roles';

export interface NewUser {
  tenantId: string;
  email: string;
  password: string;
  role: string;
}

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
}

/** What the sign-in page needs; only the issuer reads the hash (with the pool's own rights). */
export interface LoginUser extends UserRecord {
  passwordHash: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Everything but the password hash, which the application role may not read.
const COLUMNS = 'id, tenant_id as "tenantId", email, role, created_at as "createdAt", disabled_at as "disabledAt"';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

function parseRole(role: string): Role {
  if (!isRole(role)) throw new InputError(`role: must be viewer, operator or admin (got ${JSON.stringify(role)})`, 'role');
  return role;
}

function parseId(id: string, field: string): string {
  if (!UUID.test(id)) throw new InputError(`${field}: ${JSON.stringify(id)} is not an id`, field);
  return id.toLowerCase();
}

/** Creates a user in a tenant the scope includes; the password is stored as argon2id only. */
export async function createUser(pool: Pool, scope: TenantScope, input: NewUser): Promise<{ id: string }> {
  const tenantId = parseId(input.tenantId, 'tenant');
  if (!scopeIncludes(scope, tenantId)) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) throw new InputError(`email: ${JSON.stringify(input.email)} is not an e-mail address`, 'email');
  const problem = passwordProblem(input.password);
  if (problem) throw new InputError(`password: ${problem}`, 'password');
  const role = parseRole(input.role);
  const id = crypto.randomUUID();
  const passwordHash = await hashPassword(input.password);
  try {
    await withScope(pool, scope, (client) =>
      client.query('insert into auth.users (id, tenant_id, email, password_hash, role) values ($1, $2, $3, $4, $5)', [id, tenantId, email, passwordHash, role]),
    );
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new InputError(`email: ${email} already has a user`, 'email');
    throw error;
  }
  return { id };
}

export function listUsers(pool: Pool, scope: TenantScope): Promise<UserRecord[]> {
  return scopedQuery<UserRecord>(pool, scope, `select ${COLUMNS} from auth.users order by created_at, id`, []);
}

export async function setUserRole(pool: Pool, scope: TenantScope, id: string, role: string): Promise<UserRecord | undefined> {
  const rows = await scopedQuery<UserRecord>(pool, scope, `update auth.users set role = $2 where id = $1 returning ${COLUMNS}`, [parseId(id, 'id'), parseRole(role)]);
  return rows[0];
}

/** A disabled user cannot sign in, and its refresh tokens stop working (findAccount misses it). */
export async function disableUser(pool: Pool, scope: TenantScope, id: string): Promise<UserRecord | undefined> {
  const rows = await scopedQuery<UserRecord>(
    pool,
    scope,
    `update auth.users set disabled_at = coalesce(disabled_at, now()) where id = $1 returning ${COLUMNS}`,
    [parseId(id, 'id')],
  );
  return rows[0];
}

/** The issuer's read at sign-in, by e-mail address, hash included. */
export async function findUserForLogin(pool: Pool, email: string): Promise<LoginUser | undefined> {
  const { rows } = await pool.query<LoginUser>(`select ${COLUMNS}, password_hash as "passwordHash" from auth.users where email = $1`, [normalizeEmail(email)]);
  return rows[0];
}

/** The issuer's read per token: an enabled user by id. */
export async function findActiveUser(pool: Pool, id: string): Promise<UserRecord | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await pool.query<UserRecord>(`select ${COLUMNS} from auth.users where id = $1 and disabled_at is null`, [id]);
  return rows[0];
}
