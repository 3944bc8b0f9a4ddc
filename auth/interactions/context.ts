import type { IncomingMessage } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { LoginThrottle } from '../login-throttle';
import type { CsrfTokens } from './csrf';

/** What the interaction pages need; `provider()` because key rotation swaps the provider. */
export interface InteractionDeps {
  provider: () => Provider;
  pool: Pool;
  config: Config;
  logger: Logger;
  throttle: LoginThrottle;
  csrf: CsrfTokens;
}

/** The details oidc-provider keeps for one interaction, as far as the pages read them. */
export interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}

/**
 * The caller's address. Only behind a declared proxy (TRUST_PROXY=1) does X-Forwarded-For
 * count, and then its last entry: the one the proxy itself appended.
 */
export function sourceOf(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  const header = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  const last = header?.split(',').map((part) => part.trim()).filter(Boolean).at(-1);
  return (trustProxy && last) || req.socket.remoteAddress || 'unknown';
}
