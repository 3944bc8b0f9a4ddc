import { SignJWT, jwtVerify } from 'jose';
import { deriveKey } from './master-key';
import type { Principal } from './principal';

/**
 * Orange's File widget cannot send headers (CONTRACT §7), so a caller may mint a signed,
 * short-lived, tenant-bound link to one dataset download. The link fixes the dataset, the
 * format, the window and the devices: changing any of them breaks the signature.
 */
export interface DatasetRequest {
  name: string;
  format: 'csv' | 'tab';
  from: Date;
  to: Date;
  devices: string[] | null;
}

const ISSUER = 'cypernex-dataset-link';
const TYP = 'cypernex-dataset+jwt';

const keyOf = (masterKey: Buffer) => new Uint8Array(deriveKey(masterKey, 'dataset-link'));

/** The path and query of a signed link (to be appended to the gateway's public URL). */
export async function signDatasetLink(masterKey: Buffer, principal: Principal, request: DatasetRequest, ttlSeconds: number): Promise<{ path: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({
    ds: request.name,
    fmt: request.format,
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    ...(request.devices ? { dv: request.devices } : {}),
    tid: principal.tenantId,
    cid: principal.clientId,
    pt: principal.principalType,
    ...(principal.deviceIds ? { dev: [...principal.deviceIds] } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: TYP })
    .setIssuer(ISSUER)
    .setSubject(principal.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(masterKey));
  const query = new URLSearchParams({ link: token });
  return { path: `/datasets/${encodeURIComponent(request.name)}.${request.format}?${query}`, expiresAt };
}

/** The request a link allows and the principal it stands for (with `telemetry:export` only). */
export async function openDatasetLink(masterKey: Buffer, token: string): Promise<{ request: DatasetRequest; principal: Principal }> {
  const { payload } = await jwtVerify(token, keyOf(masterKey), { algorithms: ['HS256'], issuer: ISSUER, typ: TYP });
  const claims = payload as Record<string, unknown>;
  const strings = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null);
  if (typeof claims.ds !== 'string' || (claims.fmt !== 'csv' && claims.fmt !== 'tab') || typeof claims.tid !== 'string' || typeof payload.sub !== 'string') {
    throw new Error('dataset link: malformed claims');
  }
  const deviceIds = strings(claims.dev);
  return {
    request: { name: claims.ds, format: claims.fmt, from: new Date(String(claims.from)), to: new Date(String(claims.to)), devices: strings(claims.dv) },
    principal: {
      subject: payload.sub,
      clientId: typeof claims.cid === 'string' ? claims.cid : null,
      tenantId: claims.tid,
      principalType: claims.pt === 'user' || claims.pt === 'apikey' ? claims.pt : 'client',
      scopes: ['telemetry:export'],
      ...(deviceIds ? { deviceIds } : {}),
    },
  };
}
