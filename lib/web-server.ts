import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Config } from './config';
import { sendJson } from './http';

export type WebServer = http.Server | https.Server;
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The public services' server (gateway, issuer). In production plain HTTP is refused
 * (security overview): either the service terminates TLS itself from TLS_CERT_FILE /
 * TLS_KEY_FILE, or TRUST_PROXY=1 declares a TLS proxy and requests that the proxy did not
 * receive over HTTPS are refused. Health probes stay reachable for the orchestrator.
 */
export function createWebServer(config: Config, handler: Handler): WebServer {
  const guarded: Handler = (req, res) => {
    if (config.production && config.TRUST_PROXY === '1' && !isProbe(req) && forwardedProto(req) !== 'https') {
      sendJson(res, 403, { error: 'https_required', message: 'plain HTTP is not accepted; use https' });
      return;
    }
    handler(req, res);
  };
  const server = config.tls ? https.createServer({ cert: config.tls.cert, key: config.tls.key, minVersion: 'TLSv1.2' }, guarded) : http.createServer(guarded);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  return server;
}

function isProbe(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  return path === '/healthz' || path === '/readyz';
}

function forwardedProto(req: IncomingMessage): string | undefined {
  const value = req.headers['x-forwarded-proto'];
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim().toLowerCase();
}
