import { parse, print, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../../lib/principal';
import { filterOperation, responsePath } from '../../gateway/authorization/filter-operation';
import { indexAuthorization } from '../../gateway/authorization/rules';

/** A supergraph-shaped schema with type rules, an interface and a policy (not in our subgraphs yet). */
const SDL = `
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
{ query: Query }
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar link__Import
scalar requiresScopes__Scope
scalar policy__Policy
enum link__Purpose { SECURITY EXECUTION }
type Query { events: [Event!]! secret: Secret audits: [Audit!]! admin: String @policy(policies: [["tenant-admin"]]) }
interface Event { id: ID! detail: String }
type Login implements Event { id: ID! detail: String }
type Command implements Event { id: ID! detail: String @requiresScopes(scopes: [["device:control"]]) }
type Secret @requiresScopes(scopes: [["security:read"]]) { id: ID! }
type Audit { id: ID! by: Secret }
`;

const index = indexAuthorization(SDL);
const principal = (scopes: string[]): Principal => ({ subject: 's', clientId: 'c', tenantId: 't', principalType: 'client', scopes });

function run(query: string, scopes: string[]) {
  const document = parse(query);
  const result = filterOperation(index, document, document.definitions[0] as OperationDefinitionNode, principal(scopes), 10_000);
  return {
    removed: result.unauthorized.map((path) => responsePath(path).join('.')),
    query: result.operation ? print(result.operation).replace(/\s+/g, ' ') : null,
  };
}

describe('authorization rules read from the supergraph', () => {
  it('applies a type rule to every field returning the type', () => {
    expect(run('{ secret { id } audits { id by { id } } }', [])).toEqual({ removed: ['secret', 'audits.@.by'], query: '{ audits { id } }' });
    expect(run('{ secret { id } }', ['security:read']).removed).toEqual([]);
  });

  it('needs an interface field\'s rules on every implementation, unless a fragment narrows the type', () => {
    expect(run('{ events { id detail } }', []).removed).toEqual(['events.@.detail']);
    expect(run('{ events { id ... on Login { detail } } }', [])).toEqual({ removed: [], query: null });
    expect(run('{ events { ... on Command { detail } ... on Login { detail } } }', []).removed).toEqual(['events.@.detail']);
  });

  it('evaluates @policy with the shared policy registry', () => {
    expect(run('{ admin }', ['tenancy:read']).removed).toEqual(['admin']);
    expect(run('{ admin }', ['tenancy:admin']).removed).toEqual([]);
  });

  it('refuses a supergraph naming an unknown policy', () => {
    expect(() => indexAuthorization(SDL.replace('"tenant-admin"', '"tenant-admn"'))).toThrow(/unknown @policy name/);
  });

  it('refuses to walk an expanded operation larger than the budget', () => {
    const document = parse('{ a: events { id } b: events { id } c: events { id } }');
    expect(() => filterOperation(index, document, document.definitions[0] as OperationDefinitionNode, null, 4)).toThrow(/too large/);
  });
});
