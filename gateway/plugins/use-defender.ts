import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../create-gateway';
import type { Defender } from '../defender/defender';
import { observe } from '../defender/observe';

/**
 * Hands every response of an authenticated principal to the defender (gateway/defender),
 * after the other plugins shaped it: what the client receives is what it learned. Anonymous
 * requests never get here (401 before the pipeline), so nothing is held against a tenant
 * for them. Registered after useAuthorization, whose errors it counts.
 */
export function useDefender(defender: Defender): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const principal = contextValue?.principal;
      if (!principal) return {};
      return {
        async willSendResponse({ response, operation, schema, contextValue: { logger } }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          await defender.observe(principal, observe({ errors, data: data as Record<string, unknown> | null | undefined, operation, schema }), logger);
        },
      };
    },
  };
}
