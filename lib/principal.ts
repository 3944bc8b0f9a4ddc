/** Who is calling, as the gateway established it and forwards it in the context token. */
export interface Principal {
  /** `sub` of the access token (a user id or a client id), or the API key id. */
  subject: string;
  clientId: string | null;
  /** The principal's home tenant: it sees this tenant and its descendants. */
  tenantId: string;
  principalType: 'user' | 'client' | 'apikey';
  scopes: readonly string[];
  /** An API key may be limited to some devices (CONTRACT §3). */
  deviceIds?: readonly string[];
  /** Token id, for audit and revocation. */
  jti?: string;
}

export const hasScope = (principal: Principal, scope: string): boolean => principal.scopes.includes(scope);
