import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { handleGraphQL } from '../../lib/apollo-http';

/**
 * The comparison gateways of the benchmark, each in its own process like ours: `apollo`
 * is plain @apollo/gateway + Apollo Server without plugins, `hive` is
 * @graphql-hive/gateway-runtime; both forward the benchmark's fixed context token.
 * Env: KIND, PORT, SUPERGRAPH (SDL), CONTEXT_TOKEN, SHARING (0: Hive without in-flight sharing).
 */
async function main(): Promise<void> {
  const { KIND, PORT, SUPERGRAPH = '' } = process.env;
  const CONTEXT_TOKEN = process.env.CONTEXT_TOKEN ?? '';
  const header = 'x-cypernex-context';
  let handler: http.RequestListener;
  if (KIND === 'apollo') {
    class Forward extends RemoteGraphQLDataSource {
      override willSendRequest({ request }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0]): void {
        request.http?.headers.set(header, CONTEXT_TOKEN);
      }
    }
    const gateway = new ApolloGateway({ supergraphSdl: SUPERGRAPH, buildService: ({ url }) => new Forward({ url }) });
    const server = new ApolloServer({ gateway });
    await server.start();
    handler = (req, res) => void handleGraphQL(req, res, { server, context: async () => ({}), bodyLimit: 1 << 20 });
  } else {
    const { createGatewayRuntime } = await import('@graphql-hive/gateway-runtime');
    const runtime = createGatewayRuntime({
      supergraph: SUPERGRAPH,
      logging: false,
      // Hive shares identical reads in flight by default (@graphql-tools/executor-http).
      ...(process.env.SHARING === '0' ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } } : {}),
      plugins: () => [
        {
          onFetch({ options, setOptions }: { options: RequestInit; setOptions: (options: RequestInit) => void }) {
            setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), [header]: CONTEXT_TOKEN } });
          },
        },
      ],
    } as never);
    handler = runtime as unknown as http.RequestListener;
  }
  http.createServer(handler).listen(Number(PORT), '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

void main();
