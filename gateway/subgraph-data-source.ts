import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CONTEXT_HEADER } from '../lib/context-token';
import type { GatewayContext } from './create-gateway';

type Response = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * Calls one subgraph with the gateway's signed context (nothing the client sent is
 * forwarded), and sends each distinct entity representation once: @apollo/gateway asks for
 * `Tenant` 50 times when 50 devices share 5 tenants; the answers are copied back to every
 * position, errors included.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const ctx = context as Partial<GatewayContext>;
    if (!ctx.contextToken || !request.http) return;
    request.http.headers.set(CONTEXT_HEADER, ctx.contextToken);
    if (ctx.requestId) request.http.headers.set('x-request-id', ctx.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<Response> {
    const variables = options.request.variables;
    const representations = variables?.representations;
    if (!Array.isArray(representations) || representations.length < 2) return super.process(options);
    const slots = new Map<string, number>();
    const unique: unknown[] = [];
    const positions = representations.map((representation) => {
      const key = JSON.stringify(representation);
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = unique.push(representation) - 1;
        slots.set(key, slot);
      }
      return slot;
    });
    if (unique.length === representations.length) return super.process(options);
    options.request.variables = { ...variables, representations: unique };
    return expand(await super.process(options), positions);
  }
}

function expand(response: Response, positions: number[]): Response {
  const entities = (response.data as { _entities?: unknown[] } | undefined)?._entities;
  const used = new Set<number>();
  const data = Array.isArray(entities)
    ? {
        ...response.data,
        // The gateway merges later fetches into these objects: every position gets its own copy.
        _entities: positions.map((slot) => (used.has(slot) ? structuredClone(entities[slot]) : (used.add(slot), entities[slot]))),
      }
    : response.data;
  const errors = response.errors?.flatMap((error) => {
    const [head, slot, ...rest] = error.path ?? [];
    if (head !== '_entities' || typeof slot !== 'number') return [error];
    return positions.flatMap((s, i) => (s === slot ? [{ ...error, path: ['_entities', i, ...rest] }] : []));
  });
  return { ...response, data, ...(errors ? { errors } : {}) };
}
