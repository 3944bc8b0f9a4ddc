import type { Scope } from '../lib/scopes';

/** A user's role in its tenant. */
export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

export const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

const read: Scope[] = ['tenancy:read', 'fleet:read', 'telemetry:read', 'telemetry:export', 'security:read'];
const control: Scope[] = ['device:control', 'device:firmware'];

/**
 * What each role may hold; a token carries requested ∩ client's ∩ role's. Roles are
 * cumulative: an admin is also an operator. Control scopes still need a control client
 * and a fresh sign-in (CONTRACT §3), whatever the role.
 */
export const roleScopes: Record<Role, readonly Scope[]> = {
  viewer: read,
  operator: [...read, ...control],
  admin: [...read, ...control, 'tenancy:admin', 'fleet:write'],
};
