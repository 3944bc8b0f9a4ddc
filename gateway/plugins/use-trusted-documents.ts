import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../create-gateway';
import type { ClientSettings } from '../security.store';
import { persistedQueryRequired } from '../errors';

/**
 * A client in "trusted documents only" mode may run only the operations registered for it
 * (`operations register`): the hash of the document it sent, by text or by APQ hash, must
 * be on its safelist; anything else is PERSISTED_QUERY_REQUIRED before any planning.
 */
export function useTrustedDocuments(settingsOf: (clientId: string) => Promise<ClientSettings>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let sentHash: string | undefined;
      return {
        async didResolveSource({ queryHash }) {
          sentHash = queryHash;
        },
        async didResolveOperation({ contextValue }) {
          const clientId = contextValue.principal.clientId;
          if (!clientId) return;
          const settings = await settingsOf(clientId);
          if (settings.trustedOnly && !(sentHash && settings.trustedHashes.has(sentHash))) throw persistedQueryRequired();
        },
      };
    },
  };
}
