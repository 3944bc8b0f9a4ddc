import { SignJWT, jwtVerify, errors } from 'jose';
import { deriveKey } from './master-key';
import type { Principal } from './principal';

/** The header that carries the gateway's signed context to subgraphs. */
export const CONTEXT_HEADER = 'x-cypernex-context';

const ISSUER = 'cypernex-gateway';
const AUDIENCE = 'cypernex-subgraph';
const ALG = 'HS256';

interface Claims {
  sub: string;
  cid: string | null;
  tid: string;
  pt: Principal['principalType'];
  scp: string;
  dev?: string[];
  jti?: string;
}

export class ContextTokenError extends Error {}

/**
 * Identity travels from the gateway to subgraphs only as this short-lived token, signed with
 * a key derived from the master key. Client headers are never trusted as identity.
 */
export class ContextTokens {
  private readonly key: Uint8Array;

  constructor(masterKey: Buffer, private readonly ttlSeconds: number) {
    this.key = new Uint8Array(deriveKey(masterKey, 'context-token'));
  }

  sign(principal: Principal): Promise<string> {
    const claims: Claims = {
      sub: principal.subject,
      cid: principal.clientId,
      tid: principal.tenantId,
      pt: principal.principalType,
      scp: principal.scopes.join(' '),
      ...(principal.deviceIds ? { dev: [...principal.deviceIds] } : {}),
      ...(principal.jti ? { jti: principal.jti } : {}),
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALG, typ: 'cypernex-context+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'cypernex-context+jwt',
        maxTokenAge: `${this.ttlSeconds + 5}s`,
      });
      const claims = payload as unknown as Claims;
      if (typeof claims.sub !== 'string' || typeof claims.tid !== 'string' || typeof claims.scp !== 'string') {
        throw new ContextTokenError('context token: missing claims');
      }
      return {
        subject: claims.sub,
        clientId: claims.cid ?? null,
        tenantId: claims.tid,
        principalType: claims.pt,
        scopes: claims.scp ? claims.scp.split(' ') : [],
        ...(claims.dev ? { deviceIds: claims.dev } : {}),
        ...(claims.jti ? { jti: claims.jti } : {}),
      };
    } catch (error) {
      if (error instanceof ContextTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new ContextTokenError(`context token: ${error.code}`);
      throw error;
    }
  }
}
