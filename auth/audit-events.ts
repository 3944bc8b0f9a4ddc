import { decodeJwt } from 'jose';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Logger } from '../lib/logger';
import type { CypernexAccount } from './account';
import { recordAudit } from './audit.store';
import { clientTenant } from './scope-policy';

function jtiOf(token: unknown): string | null {
  if (typeof token !== 'string') return null;
  try {
    const { jti } = decodeJwt(token);
    return typeof jti === 'string' ? jti : null;
  } catch {
    return null;
  }
}

/** Every token the token endpoint issues goes to the audit trail (grant type, scopes, jti). */
export function auditIssuedTokens(provider: Provider, pool: Pool, logger: Logger): void {
  (provider as unknown as NodeJS.EventEmitter).on('grant.success', (ctx: KoaContextWithOIDC) => {
    const client = ctx.oidc.client;
    if (!client) return;
    const account = ctx.oidc.account as CypernexAccount | undefined;
    const body = (ctx.body ?? {}) as { scope?: string; access_token?: unknown; refresh_token?: unknown };
    recordAudit(pool, {
      type: 'token.issued',
      tenantId: account?.tenantId ?? clientTenant(client),
      subject: account?.accountId ?? client.clientId,
      clientId: client.clientId,
      source: ctx.ip,
      detail: { grantType: ctx.oidc.params?.grant_type, scope: body.scope ?? '', jti: jtiOf(body.access_token), refreshToken: body.refresh_token !== undefined },
    }).catch((error: unknown) => logger.error({ err: error }, 'audit record failed'));
  });
}
