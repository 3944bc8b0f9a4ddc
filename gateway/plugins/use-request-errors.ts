import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../create-gateway';

/**
 * Logs every error that will be masked, with the request id, and puts that id on the
 * masked error so that an operator can find the details (issue #6: details only in logs).
 */
export function useRequestErrors(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          const logger = (contextValue as Partial<GatewayContext> | undefined)?.logger;
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code === undefined || code === 'INTERNAL_SERVER_ERROR') logger?.error({ err: error.originalError ?? error, path: error.path }, 'request error');
          }
        },
        async willSendResponse({ response, contextValue }) {
          const requestId = (contextValue as Partial<GatewayContext> | undefined)?.requestId;
          if (!requestId || response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') (error.extensions as Record<string, unknown>).requestId = requestId;
          }
        },
      };
    },
  };
}
