import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { PayloadTooLargeError, readBody, sendJson } from './http';

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /** Builds the per-request context; throw a GraphQLError with `extensions.http.status` to refuse. */
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>;
  bodyLimit: number;
}

/**
 * Serves one GraphQL request on a plain node:http server through Apollo Server's
 * integration API: the body is read with a hard size limit (413 beyond it) and parsed
 * here, so that nothing upstream buffers an unbounded request.
 */
export async function handleGraphQL<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLHttpOptions<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  if (req.method === 'POST') {
    let raw: Buffer;
    try {
      raw = await readBody(req, options.bodyLimit);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        sendJson(res, 413, graphQLError('request body too large', 'BAD_REQUEST'), { connection: 'close' });
        return;
      }
      throw error;
    }
    const type = headers.get('content-type') ?? '';
    if (raw.length > 0 && type.includes('json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        sendJson(res, 400, graphQLError('request body is not valid JSON', 'BAD_REQUEST'));
        return;
      }
    } else {
      body = raw.length ? raw.toString('utf8') : undefined;
    }
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await options.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
    context: () => options.context(req, res),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

export const graphQLError = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });
