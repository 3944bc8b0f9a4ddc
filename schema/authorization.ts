import { Directive, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { Principal } from '../lib/principal';
import { isScope } from '../lib/scopes';
import { clientError } from './errors';
import { isPolicyName, policies, type PolicyName } from './policies';

/**
 * One federation authorization requirement. `requiresScopes` and `policy` are an OR of
 * ANDs, exactly as Apollo Router reads `@requiresScopes(scopes: [[...]])` and
 * `@policy(policies: [[...]])`.
 */
export type AuthRule =
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'requiresScopes'; readonly scopes: readonly (readonly string[])[] }
  | { readonly kind: 'policy'; readonly policies: readonly (readonly PolicyName[])[] };

/** Whether a caller (null: anonymous) satisfies the rule; the gateway calls this too. */
export function isAuthorized(rule: AuthRule, principal: Principal | null): boolean {
  if (!principal) return false;
  switch (rule.kind) {
    case 'authenticated':
      return true;
    case 'requiresScopes':
      return rule.scopes.some((all) => all.every((scope) => principal.scopes.includes(scope)));
    case 'policy':
      return rule.policies.some((all) => all.every((name) => policies[name](principal)));
  }
}

/** The SDL of the directive that declares the rule to the supergraph. */
export function directiveFor(rule: AuthRule): string {
  switch (rule.kind) {
    case 'authenticated':
      return '@authenticated';
    case 'requiresScopes':
      return `@requiresScopes(scopes: ${JSON.stringify(rule.scopes)})`;
    case 'policy':
      return `@policy(policies: ${JSON.stringify(rule.policies)})`;
  }
}

/** Router's error for a field the caller may not see; graphql-js adds the path. */
export const unauthorizedField = () => clientError('UNAUTHORIZED_FIELD_OR_TYPE', 'Unauthorized field or type');

type AuthorizationDecorator = (target: object, propertyKey?: string | symbol, descriptor?: PropertyDescriptor) => void;

/**
 * Declares the rule (federation directive, composed into the supergraph and enforced by the
 * gateway) and enforces the same rule in the subgraph (middleware), from one value, so the
 * two walls cannot disagree. On an object type class it covers every field of the class.
 */
export function authorize(rule: AuthRule): AuthorizationDecorator {
  const check: MiddlewareFn<{ principal?: Principal | null }> = async ({ context }, next) => {
    if (!isAuthorized(rule, context.principal ?? null)) throw unauthorizedField();
    return next();
  };
  const directive = Directive(directiveFor(rule)) as AuthorizationDecorator;
  const middleware = UseMiddleware(check) as AuthorizationDecorator;
  return (target, propertyKey, descriptor) => {
    directive(target, propertyKey, descriptor);
    middleware(target, propertyKey, descriptor);
  };
}

export const Authenticated = (): AuthorizationDecorator => authorize({ kind: 'authenticated' });

export function RequiresScopes(scopes: string[][]): AuthorizationDecorator {
  requireOrOfAnds('RequiresScopes', scopes, isScope);
  return authorize({ kind: 'requiresScopes', scopes });
}

export function Policy(names: PolicyName[][]): AuthorizationDecorator {
  requireOrOfAnds('Policy', names, isPolicyName);
  return authorize({ kind: 'policy', policies: names });
}

/** A typo in a scope or policy name must fail when the schema module loads, not grant access. */
function requireOrOfAnds(decorator: string, groups: string[][], known: (name: string) => boolean): void {
  if (groups.length === 0 || groups.some((group) => group.length === 0)) {
    throw new Error(`${decorator}: every alternative needs at least one name`);
  }
  const unknown = groups.flat().filter((name) => !known(name));
  if (unknown.length) throw new Error(`${decorator}: unknown name(s) ${unknown.join(', ')}`);
}
