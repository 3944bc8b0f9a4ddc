import crypto from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { Kind, print, type DocumentNode, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../../lib/principal';
import { policies, type PolicyName } from '../../schema/policies';
import { applyNulls } from '../authorization/apply-nulls';
import { filterOperation, responsePath, type FilteredOperation } from '../authorization/filter-operation';
import type { AuthorizationIndex } from '../authorization/rules';
import type { GatewayContext } from '../create-gateway';
import { Lru } from '../lru';

export interface AuthorizationOptions {
  index: AuthorizationIndex;
  /** Filtered operations kept, keyed by (query hash, operation name, scope set, policy outcomes). */
  cacheSize: number;
  /** Largest expanded operation walked (the cost limit already refused bigger ones). */
  maxNodes: number;
}

interface Filtered extends FilteredOperation {
  document?: DocumentNode;
  queryHash?: string;
}

const policyNames = Object.keys(policies) as PolicyName[];

/**
 * Apollo Router's authorization at the gateway: before planning, every field the caller may
 * not see is removed from the operation, the rest runs, the removed fields come back as null
 * (bubbling through non-null fields) with one UNAUTHORIZED_FIELD_OR_TYPE error each, and an
 * operation with nothing left never reaches a subgraph. The filtered document gets its own
 * query hash, because @apollo/gateway caches query plans by that hash.
 */
export function useAuthorization(options: AuthorizationOptions): ApolloServerPlugin<GatewayContext> {
  const cache = new Lru<Filtered>(options.cacheSize);
  const filter = (document: DocumentNode, operation: OperationDefinitionNode, queryHash: string, principal: Principal | null): Filtered => {
    const key = `${queryHash}\n${operation.name?.value ?? ''}\n${principalKey(principal)}`;
    const known = cache.get(key);
    if (known) return known;
    const result: Filtered = filterOperation(options.index, document, operation, principal, options.maxNodes);
    if (result.operation) {
      result.document = { kind: Kind.DOCUMENT, definitions: [result.operation] };
      result.queryHash = crypto.createHash('sha256').update(print(result.document)).digest('hex');
    }
    cache.set(key, result);
    return result;
  };

  return {
    async requestDidStart() {
      if (options.index.empty) return {};
      let filtered: Filtered | undefined;
      return {
        async didResolveOperation(requestContext) {
          const { document, operation, queryHash } = requestContext;
          if (!operation) return;
          filtered = filter(document, operation, queryHash, requestContext.contextValue.principal ?? null);
          if (filtered.unchanged || !filtered.document) return;
          const writable = requestContext as { document: DocumentNode; queryHash: string; operation: OperationDefinitionNode };
          writable.document = filtered.document;
          writable.queryHash = filtered.queryHash!;
          writable.operation = filtered.operation!;
        },
        async responseForOperation() {
          if (!filtered || filtered.unchanged || filtered.operation) return null;
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: {} } } };
        },
        async willSendResponse({ response }) {
          if (!filtered || filtered.unchanged || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          let data = (result.data ?? null) as Record<string, unknown> | null;
          for (const path of [...filtered.unauthorized, ...filtered.emptied]) data = applyNulls(data, path);
          result.data = data;
          const errors: GraphQLFormattedError[] = filtered.unauthorized.map((path) => ({
            message: 'Unauthorized field or type',
            path: responsePath(path),
            extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
          }));
          result.errors = [...errors, ...(result.errors ?? [])];
        },
      };
    },
  };
}

const principalKeys = new WeakMap<Principal, string>();

/** What the rules can depend on: the scope set and the outcome of every policy. */
function principalKey(principal: Principal | null): string {
  if (!principal) return '-';
  let key = principalKeys.get(principal);
  if (key === undefined) {
    const outcomes = policyNames.map((name) => (policies[name](principal) ? '1' : '0')).join('');
    key = `${[...principal.scopes].sort().join(' ')}|${outcomes}`;
    principalKeys.set(principal, key);
  }
  return key;
}
