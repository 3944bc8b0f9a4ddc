// first: before anything loads @apollo/gateway (see the module)
import './federation-internals';
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Principal } from '../lib/principal';
import { ContextTokens } from '../lib/context-token';
import { Histogram } from 'prom-client';
import { handleGraphQL } from '../lib/apollo-http';
import { createMetrics, handleMetrics } from '../lib/metrics';
import { closeServer, handleHealth, sendJson, type ReadinessCheck } from '../lib/http';
import { seriesMarker, unpackSeries } from '../lib/series-wire';
import { createWebServer, type WebServer } from '../lib/web-server';
import { unauthenticated } from '../schema/errors';
import { AuthenticationError, createTokenVerifier } from './authenticate';
import { authenticateRequest } from './authenticate-request';
import { handleDatasets, type DatasetDeps } from './datasets/handler';
import { maskError } from './errors';
import { committedSupergraph, forGatewayRuntime, supergraphSubgraphs } from './supergraph';
import { indexAuthorization } from './authorization/rules';
import { createIdentityCache } from './identity-cache';
import { protectionOptions } from './protection';
import { createSubgraphClient } from './subgraph-client';
import { SubgraphDataSource } from './subgraph-data-source';

export interface GatewayContext {
  requestId: string;
  principal: Principal;
  /** The signed identity forwarded to subgraphs; nothing the client sent is forwarded. */
  contextToken: string;
  logger: Logger;
}

export interface GatewayDeps {
  config: Config;
  redis: Redis;
  /** Per-client gateway settings and trusted documents (schema `security`). */
  pool: Pool;
  logger: Logger;
  /** Defaults to the committed `schema/supergraph.graphql`. */
  supergraphSdl?: string;
}

export interface Gateway {
  server: WebServer;
  apollo: ApolloServer<GatewayContext>;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Subgraph name in the supergraph → the URL it is reached at here. */
function subgraphUrls(config: Config): Record<string, string> {
  return { tenancy: config.TENANCY_URL, fleet: config.FLEET_URL, telemetry: config.TELEMETRY_URL, device: config.DEVICE_URL };
}

/** Builds the gateway (not listening): authentication, protections, signed context, masking, health. */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, redis, pool, logger } = deps;
  const urls = subgraphUrls(config);
  const supergraphSdl = deps.supergraphSdl ?? committedSupergraph();
  const subgraphs = supergraphSubgraphs(supergraphSdl);
  const index = indexAuthorization(supergraphSdl);
  // The Redis commands every request makes (deny-list, rate-limit budgets, defender counts)
  // go through one auto-pipelined connection: commands issued in the same tick, by one
  // request or by many, leave in one write (measured: a plain connection's write per
  // command was the largest cost of the protections in the CPU profile).
  const requestRedis = redis.duplicate({ enableAutoPipelining: true });
  const subgraphClient = createSubgraphClient({ timeoutMs: config.SUBGRAPH_TIMEOUT_MS, dedupeInflight: config.SUBGRAPH_DEDUPE_INFLIGHT === '1' });
  const gateway = new ApolloGateway({
    supergraphSdl: forGatewayRuntime(supergraphSdl),
    buildService: ({ name, url }) => {
      const target = urls[name] ?? url;
      if (!target) throw new Error(`gateway: no URL for subgraph ${name}`);
      return new SubgraphDataSource({ url: target, client: subgraphClient });
    },
  });
  const marker = seriesMarker(config.masterKey);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // the subgraphs' packed NumberSeries become arrays again here (lib/series-wire.ts)
    stringifyResult: (result) => `${unpackSeries(JSON.stringify(result), marker)}\n`,
    includeStacktraceInErrorResponses: false,
    formatError: maskError,
    // main.ts owns the stop (lib/signals.ts); see serve-subgraph.ts
    stopOnTerminationSignals: false,
    ...protectionOptions(config, { redis, requestRedis, pool, index }),
  });
  await apollo.start();

  const verifyToken = createTokenVerifier({ issuer: config.AUTH_ISSUER, jwksUrl: config.AUTH_JWKS_URL ?? `${config.AUTH_ISSUER}/jwks` });
  const contextTokens = new ContextTokens(config.masterKey, config.CONTEXT_TOKEN_TTL);
  const identify = createIdentityCache({ verify: verifyToken, contextTokens, contextTokenTtl: config.CONTEXT_TOKEN_TTL });

  const context = async (req: IncomingMessage, res: ServerResponse): Promise<GatewayContext> => {
    const requestId = requestIdOf(req, res);
    const requestLogger = logger.child({ requestId });
    let identity: Awaited<ReturnType<typeof identify>>;
    try {
      identity = await authenticateRequest(req, { config, redis: requestRedis, pool, identify, contextTokens });
    } catch (error) {
      if (error instanceof AuthenticationError) {
        requestLogger.info({ reason: error.message }, 'authentication refused');
        throw unauthenticated(error.message);
      }
      throw error;
    }
    res.setHeader('cache-control', 'no-store');
    return { requestId, principal: identity.principal, contextToken: identity.contextToken, logger: requestLogger };
  };

  const readiness: Record<string, ReadinessCheck> = {
    redis: async () => void (await redis.ping()),
    issuer: async () => expectOk(await fetch(config.AUTH_JWKS_URL ?? `${config.AUTH_ISSUER}/jwks`, { signal: AbortSignal.timeout(2000) })),
  };
  for (const { name, url } of subgraphs) {
    const target = urls[name] ?? url;
    readiness[`subgraph:${name}`] = async () => expectOk(await fetch(new URL('/healthz', target), { signal: AbortSignal.timeout(2000) }));
  }

  const datasetDeps: DatasetDeps = {
    config,
    pool,
    redis,
    logger,
    authenticate: async (req) => (await authenticateRequest(req, { config, redis: requestRedis, pool, identify, contextTokens })).principal,
  };

  const metrics = createMetrics('gateway');
  const requestDuration = new Histogram({
    name: 'cypernex_gateway_request_duration_seconds',
    help: 'GraphQL requests through the gateway, by HTTP status',
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [metrics],
  });

  const server = createWebServer(config, (req, res) => {
    void route(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await handleHealth(req, res, readiness)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (await handleMetrics(req, res, metrics)) return;
    if (await handleDatasets(req, res, datasetDeps)) return;
    if (path === '/graphql') {
      const stopTimer = requestDuration.startTimer();
      await handleGraphQL(req, res, { server: apollo, context, bodyLimit: config.GATEWAY_BODY_LIMIT });
      stopTimer({ status: String(res.statusCode) });
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  }

  return {
    server,
    apollo,
    async close() {
      await closeServer(server);
      await apollo.stop();
      requestRedis.disconnect();
      subgraphClient.close();
    },
  };
}

function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const sent = req.headers['x-request-id'];
  const id = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

function expectOk(response: Response): void {
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

