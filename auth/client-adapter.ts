import type { Adapter, ClientMetadata } from 'oidc-provider';
import type { Pool } from 'pg';
import { findClientForIssuer, type StoredClient } from './clients.store';

/**
 * oidc-provider metadata for a registered client. `client_secret` holds the keyed hash:
 * the issuer compares presented secrets against it (client-secret.ts) and never sees the
 * secret itself. User-facing clients (device flow, code + PKCE) may also ask for `openid`,
 * and `offline_access` unless they are control clients (never refreshed, CONTRACT §3).
 */
export function toClientMetadata(client: StoredClient): ClientMetadata | undefined {
  if (client.disabledAt) return undefined;
  const userFacing = !client.grantTypes.includes('client_credentials');
  const oidcScopes = userFacing ? ['openid', ...(client.control ? [] : ['offline_access'])] : [];
  return {
    client_id: client.clientId,
    client_name: client.name,
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    token_endpoint_auth_method: client.secretHash ? 'client_secret_basic' : 'none',
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: client.redirectUris,
    scope: [...client.scopes, ...oidcScopes].join(' '),
    tenant_id: client.tenantId,
    control: client.control,
  };
}

const READ_ONLY = 'clients are registered with the CLI (client create), not through the issuer';

/** The `Client` model: read from auth.clients on every lookup, so a disabled client stops at once. */
export class ClientAdapter implements Adapter {
  constructor(private readonly pool: Pool) {}

  async find(id: string): Promise<ClientMetadata | undefined> {
    const client = await findClientForIssuer(this.pool, id);
    return client ? toClientMetadata(client) : undefined;
  }

  async upsert(): Promise<void> {
    throw new Error(READ_ONLY);
  }

  async destroy(): Promise<void> {
    throw new Error(READ_ONLY);
  }

  async consume(): Promise<void> {
    throw new Error(READ_ONLY);
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async revokeByGrantId(): Promise<void> {
    throw new Error(READ_ONLY);
  }
}
