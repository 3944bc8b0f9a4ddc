import crypto from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { handleGraphQL, graphQLError } from '../lib/apollo-http';
import type { Config } from '../lib/config';
import { CONTEXT_HEADER, ContextTokens } from '../lib/context-token';
import { pingPostgres, pingRedis } from '../lib/dependencies';
import { closeServer, handleHealth, sendJson, type ReadinessCheck } from '../lib/http';
import type { Logger } from '../lib/logger';
import type { Principal } from '../lib/principal';
import type { Redis } from '../lib/redis';
import { PACKED, SERIES_HEADER, seriesMarker } from '../lib/series-wire';
import { resolveScope, type ResolvedScope } from '../lib/tenant-scope';
import type { LoaderSource, SubgraphContext } from './context';
import { compiledSchemaGateway } from './compiled-executor';
import { formatSubgraphError, isUnexpected } from './format-error';

/** A subgraph request is a query from the gateway; 1 MiB is far above any planned fetch. */
const BODY_LIMIT = 1024 * 1024;

export interface SubgraphServerOptions<TLoaders> {
  name: string;
  schema: GraphQLSchema;
  config: Config;
  pool: Pool;
  redis?: Redis;
  logger: Logger;
  createLoaders: (source: LoaderSource) => TLoaders;
}

export interface SubgraphServer {
  /** Not listening yet: main.ts (or a test) listens. */
  server: http.Server;
  close: () => Promise<void>;
}

/**
 * Serves one subgraph: `/graphql` only for callers holding the gateway's signed context
 * token (an end-user JWT in `Authorization` is ignored), `/healthz` and `/readyz`.
 */
export async function createSubgraphServer<TLoaders>(options: SubgraphServerOptions<TLoaders>): Promise<SubgraphServer> {
  const { config, pool, logger } = options;
  const tokens = new ContextTokens(config.masterKey, config.CONTEXT_TOKEN_TTL);
  const apollo = new ApolloServer<SubgraphContext<TLoaders>>({
    gateway: compiledSchemaGateway(options.schema),
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    formatError: formatSubgraphError,
    // run-subgraph.ts owns the stop (lib/signals.ts). Apollo's own SIGTERM handler raced it:
    // its stop() never resolves a concurrent caller's wait (@apollo/server 5.5: the barrier is
    // resolved only when stopping fails), so our stop hung until the process was killed by
    // Apollo re-raising the signal, without closing its pool.
    stopOnTerminationSignals: false,
    // Apollo's default cache-control plugin hooks every field (Apollo then wraps every
    // resolver) for hints nobody reads here (responses are no-store): a day of readings is
    // half a million fields.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), logUnexpected(logger)],
  });
  await apollo.start();
  const checks: Record<string, ReadinessCheck> = { postgres: pingPostgres(pool) };
  if (options.redis) checks.redis = pingRedis(options.redis);

  const marker = seriesMarker(config.masterKey);
  const contextFor = (principal: Principal, requestId: string, packSeries: boolean): SubgraphContext<TLoaders> => {
    let resolved: Promise<ResolvedScope> | undefined;
    const scope = () => (resolved ??= resolveScope(pool, principal));
    return { principal, scope, pool, requestId, seriesMarker: packSeries ? marker : null, loaders: options.createLoaders({ pool, principal, scope }) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await handleHealth(req, res, checks)) return;
    if ((req.url ?? '').split('?')[0] !== '/graphql') {
      sendJson(res, 404, graphQLError('not found', 'NOT_FOUND'));
      return;
    }
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const principal = await verifyContext(tokens, req);
    if (!principal) {
      req.resume();
      sendJson(res, 401, graphQLError('the gateway context is missing or invalid', 'UNAUTHENTICATED'));
      return;
    }
    const packSeries = req.headers[SERIES_HEADER] === PACKED;
    await handleGraphQL(req, res, { server: apollo, bodyLimit: BODY_LIMIT, context: async () => contextFor(principal, requestId, packSeries) });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, service: options.name }, 'subgraph request failed');
      if (!res.headersSent) sendJson(res, 500, graphQLError('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  });
  return {
    server,
    close: async () => {
      await closeServer(server);
      await apollo.stop();
    },
  };
}

async function verifyContext(tokens: ContextTokens, req: IncomingMessage): Promise<Principal | null> {
  const header = req.headers[CONTEXT_HEADER];
  if (typeof header !== 'string' || header.length === 0 || header.length > 8192) return null;
  try {
    return await tokens.verify(header);
  } catch {
    return null;
  }
}

/** The gateway's request id when it sent a sane one, so logs of both sides correlate. */
function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(sent) ? sent : crypto.randomUUID();
}

function logUnexpected(logger: Logger): ApolloServerPlugin<SubgraphContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (isUnexpected(error)) logger.error({ err: error.originalError ?? error, requestId: contextValue.requestId }, 'unexpected GraphQL error');
          }
        },
      };
    },
  };
}
