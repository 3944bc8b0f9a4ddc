import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger } from '../lib/logger';

/** oidc-provider's per-endpoint error events (helpers/initialize_app.js), all client errors. */
const CLIENT_ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'device_authorization.error',
  'code_verification.error',
  'device_resume.error',
  'pushed_authorization_request.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'jwks.error',
  'discovery.error',
  'end_session.error',
  'end_session_confirm.error',
  'end_session_success.error',
] as const;

interface OAuthError extends Error {
  error?: string;
  error_description?: string;
  error_detail?: string;
}

const requestOf = (ctx: KoaContextWithOIDC | undefined) => ({
  method: ctx?.method,
  path: ctx?.path,
  clientId: ctx?.oidc?.client?.clientId ?? ctx?.oidc?.params?.client_id,
});

/**
 * Errors go to the service's JSON log, not to stderr as stacks: refused requests at info
 * (their detail, e.g. "invalid secret provided", feeds audits), failures at error.
 */
export function logProviderEvents(provider: Provider, logger: Logger): void {
  const emitter = provider as unknown as NodeJS.EventEmitter;
  for (const event of CLIENT_ERROR_EVENTS) {
    emitter.on(event, (ctx: KoaContextWithOIDC, error: OAuthError) => {
      logger.info(
        { event, ...requestOf(ctx), error: error.error, description: error.error_description, detail: error.error_detail },
        'oauth request refused',
      );
    });
  }
  emitter.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
    logger.error({ ...requestOf(ctx), err: error }, 'issuer request failed');
  });
  // Koa prints uncaught application errors to stderr unless someone listens.
  emitter.on('error', (error: Error, ctx?: KoaContextWithOIDC) => {
    logger.error({ ...requestOf(ctx), err: error }, 'issuer application error');
  });
}
