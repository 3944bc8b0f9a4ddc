import type { Provider } from 'oidc-provider';
import { secretMatches } from './clients.store';

/**
 * Registered secrets exist only as keyed hashes (the client's `client_secret` metadata holds
 * the hash), so client_secret_basic/post authentication (oidc-provider's shared/client_auth.js
 * calls `compareClientSecret`) hashes the presented secret and compares in constant time.
 */
export function useHashedClientSecrets(provider: Provider, masterKey: Buffer): void {
  provider.Client.prototype.compareClientSecret = function compareHashedSecret(this: { clientSecret?: string }, presented: string) {
    return typeof this.clientSecret === 'string' && typeof presented === 'string' && secretMatches(masterKey, this.clientSecret, presented);
  };
}
