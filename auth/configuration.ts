import type { AdapterFactory, Client, Configuration, FindAccount, JWKS, KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../lib/config';
import { CLOCK_TOLERANCE } from './clock';
import { deriveKey } from '../lib/master-key';
import { allScopes } from '../lib/scopes';
import { buildInteractionPolicy } from './interaction-policy';
import { successSource, userCodeConfirmSource, userCodeInputSource } from './interactions/device-pages';
import type { SigningKey } from './keys';
import { renderError } from './render-error';
import { API_RESOURCE, getResourceServerInfo, hasControlScope, isControlClient } from './scope-policy';
import { createExtraTokenClaims } from './token-claims';

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

export interface ConfigurationOptions {
  config: Config;
  adapter: AdapterFactory;
  keys: readonly SigningKey[];
  findAccount: FindAccount;
}

/** Revocation and introspection answer a client only about its own tokens. */
const ownTokensOnly = (_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string | undefined }): boolean =>
  token.clientId === client.clientId;

/** A browser app may call the token endpoint from the origins of its redirect URIs. */
function corsForRedirectOrigins(_ctx: KoaContextWithOIDC, origin: string, client: Client): boolean {
  return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
}

/** The oidc-provider configuration of the issuer, from the platform configuration. */
export function buildConfiguration({ config, adapter, keys, findAccount }: ConfigurationOptions): Configuration {
  // CONTRACT §3: at most 15 minutes, at most 5 when a control scope is granted.
  const accessTokenTtl = (_ctx: KoaContextWithOIDC, token: { scope?: string | undefined }): number =>
    hasControlScope(token.scope) ? config.CONTROL_TOKEN_TTL : config.ACCESS_TOKEN_TTL;

  return {
    adapter,
    clockTolerance: CLOCK_TOLERANCE,
    jwks: { keys: keys.map((key) => key.jwk) } as JWKS,
    cookies: { keys: [deriveKey(config.masterKey, 'cookie-keys').toString('base64url')] },
    scopes: ['openid', 'offline_access', ...allScopes],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    extraClientMetadata: {
      properties: ['tenant_id', 'control'],
      validator(_ctx, key, value) {
        if (key === 'tenant_id' && typeof value !== 'string') throw new TypeError('client metadata tenant_id must be a string');
        if (key === 'control' && typeof value !== 'boolean') throw new TypeError('client metadata control must be a boolean');
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true, userCodeInputSource, userCodeConfirmSource, successSource },
      // Token introspection stays on (issue #5); CONTRACT §2's production switch is GraphQL introspection.
      introspection: { enabled: true, allowedPolicy: ownTokensOnly },
      revocation: { enabled: true, allowedPolicy: ownTokensOnly },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo,
      },
    },
    // The pages under /interaction/<uid> (interactions/routes.ts).
    interactions: { policy: buildInteractionPolicy(config.CONTROL_LOGIN_MAX_AGE), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: MINUTE,
      DeviceCode: 10 * MINUTE,
      IdToken: 60 * MINUTE,
      Interaction: 10 * MINUTE,
      Session: DAY,
      Grant: 14 * DAY,
      RefreshToken: 14 * DAY,
    },
    // Control scopes are never refreshed (CONTRACT §3).
    issueRefreshToken: (_ctx, client, source) =>
      client.grantTypeAllowed('refresh_token') &&
      source.scopes.has('offline_access') &&
      !isControlClient(client) &&
      !hasControlScope(source.scope),
    extraTokenClaims: createExtraTokenClaims(findAccount),
    findAccount,
    renderError,
    clientBasedCORS: corsForRedirectOrigins,
  };
}
