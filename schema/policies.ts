import { hasScope, type Principal } from '../lib/principal';

/** Decides whether a principal satisfies one named policy. */
export type PolicyCheck = (principal: Principal) => boolean;

/**
 * The one registry of `@policy` names. The gateway (issue #6) and the subgraphs evaluate
 * the same functions, so a policy means the same thing at both walls.
 */
export const policies = {
  /** May administer its tenants: create child tenants, clients, API keys, webhooks. */
  'tenant-admin': (principal) => hasScope(principal, 'tenancy:admin'),
  /** May send maintenance commands to devices. */
  operator: (principal) => hasScope(principal, 'device:control'),
} satisfies Record<string, PolicyCheck>;

export type PolicyName = keyof typeof policies;

export const isPolicyName = (name: string): name is PolicyName => Object.prototype.hasOwnProperty.call(policies, name);
