import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { CONTEXT_HEADER } from '../lib/context-token';
import { PACKED, SERIES_HEADER } from '../lib/series-wire';
import type { GatewayContext } from './create-gateway';
import type { SubgraphAnswer, SubgraphClient } from './subgraph-client';

type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * Calls one subgraph through the gateway's own client (subgraph-client.ts) with the gateway's
 * signed context: nothing the client sent is forwarded. Each distinct entity representation
 * is sent once: @apollo/gateway asks for `Tenant` 50 times when 50 devices share 5 tenants;
 * the answers are copied back to every position, errors included.
 *
 * It implements @apollo/gateway's `GraphQLDataSource` itself rather than extending
 * `RemoteGraphQLDataSource`, which builds node-fetch `Headers` and a `Request` and a WHATWG
 * response per call; errors of a failed call keep the shape that class gives them.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: { url: string; client: SubgraphClient }) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<Response> {
    const variables = options.request.variables;
    const representations = variables?.representations;
    if (!Array.isArray(representations) || representations.length < 2) return this.send(options);
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
    if (unique.length === representations.length) return this.send(options);
    options.request.variables = { ...variables, representations: unique };
    return expand(await this.send(options), positions);
  }

  private async send({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<Response> {
    const { query, variables, operationName, extensions } = request;
    if (!query) throw new Error('gateway: subgraph request without a query');
    // series come packed and are unpacked as the answer is written (lib/series-wire.ts)
    const headers: Record<string, string> = { 'content-type': 'application/json', [SERIES_HEADER]: PACKED };
    const ctx = context as Partial<GatewayContext>;
    if (ctx.contextToken) headers[CONTEXT_HEADER] = ctx.contextToken;
    if (ctx.requestId) headers['x-request-id'] = ctx.requestId;
    const answer = await this.options.client.post({
      url: this.options.url,
      headers,
      body: JSON.stringify({ query, variables, operationName, extensions }),
      read: !isMutation(query),
    });
    if (answer.status < 200 || answer.status > 299) throw errorFromAnswer(this.options.url, answer);
    const body: unknown = isJson(answer.contentType) ? JSON.parse(answer.body) : answer.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Error(`Expected JSON response body, but received: ${answer.body.slice(0, 200)}`);
    }
    return body as Response;
  }
}

/** The query planner prints every subgraph operation with its keyword, or none for a query. */
function isMutation(query: string): boolean {
  return /^\s*mutation\b/.test(query);
}

function isJson(contentType: string): boolean {
  return contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json');
}

/** The error `RemoteGraphQLDataSource.errorFromResponse` builds, so masking and logs stay the same. */
function errorFromAnswer(url: string, answer: SubgraphAnswer): GraphQLError {
  let body: unknown = answer.body;
  if (isJson(answer.contentType)) {
    try {
      body = JSON.parse(answer.body);
    } catch {
      // A broken JSON body is kept as the text it is.
    }
  }
  const code = answer.status === 401 ? 'UNAUTHENTICATED' : answer.status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${answer.status}: ${answer.statusText}`, {
    extensions: { response: { url, status: answer.status, statusText: answer.statusText, body }, ...(code ? { code } : {}) },
  });
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
