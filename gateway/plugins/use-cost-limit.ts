import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../create-gateway';
import { queryTooComplex } from '../errors';
import { requestCost } from '../limits/request-cost';

/**
 * Refuses an operation whose static cost (list sizes from `first` and its variables) is
 * over the limit, before planning: it never reaches a subgraph.
 */
export function useCostLimit(options: { maxCost: number; defaultListSize: number }): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const cost = requestCost(requestContext, options.defaultListSize);
          if (cost > options.maxCost) throw queryTooComplex(`the operation costs ${cost}; at most ${options.maxCost} is allowed`);
        },
      };
    },
  };
}
