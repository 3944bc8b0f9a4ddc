import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Principal } from '../lib/principal';
import { isScope } from '../lib/scopes';

/** The one resource our access tokens are issued for (CONTRACT §3). */
export const API_AUDIENCE = 'urn:cypernex:api';

/** Only the algorithms the issuer signs with; `none` and HMAC algorithms can never verify. */
export const ACCEPTED_ALGORITHMS = ['ES256'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AuthenticationError extends Error {}

export interface TokenVerifierOptions {
  issuer: string;
  jwksUrl: string;
  /** Least time between two JWKS fetches: an unknown `kid` triggers a refetch at most this often. */
  jwksCooldownMs?: number;
}

/**
 * Verifies access tokens against the issuer's JWKS: algorithm allow-list, `typ: at+jwt`,
 * `iss`, `aud`, `exp`, `nbf`, and the platform's claims (CONTRACT §3).
 */
export function createTokenVerifier(options: TokenVerifierOptions): (token: string) => Promise<Principal> {
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    timeoutDuration: 5_000,
  });
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: API_AUDIENCE,
        algorithms: ACCEPTED_ALGORITHMS,
        typ: 'at+jwt',
        clockTolerance: 5,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'scope', 'tenant_id', 'principal_type'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new AuthenticationError(describe(error));
      throw error;
    }
    const { sub, client_id: clientId, tenant_id: tenantId, principal_type: principalType, scope, jti } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof tenantId !== 'string' || !UUID.test(tenantId) || typeof scope !== 'string') {
      throw new AuthenticationError('access token claims are malformed');
    }
    if (principalType !== 'user' && principalType !== 'client') throw new AuthenticationError('access token principal_type is unknown');
    return {
      subject: sub,
      clientId: typeof clientId === 'string' ? clientId : null,
      tenantId: tenantId.toLowerCase(),
      principalType,
      scopes: scope.split(' ').filter(isScope),
      ...(typeof jti === 'string' ? { jti } : {}),
    };
  };
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'access token expired';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'access token signature is not valid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'access token algorithm is not accepted';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `access token claim check failed: ${(error as errors.JWTClaimValidationFailed).claim}`;
    default:
      return 'access token is not valid';
  }
}

/** `Authorization: Bearer <token>`; anything else is no token. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
