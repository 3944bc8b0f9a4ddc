import type { GraphQLRequest } from '@apollo/server';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { operationCost } from './operation-cost';

const costs = new WeakMap<GraphQLRequest, number>();

interface CostedRequest {
  request: GraphQLRequest;
  schema: GraphQLSchema;
  document: DocumentNode;
  operation?: OperationDefinitionNode;
}

/**
 * The cost of this request's operation with its variables, computed once per request
 * (the cost limit and the rate limit both need it) on the document as the client sent it.
 */
export function requestCost(requestContext: CostedRequest, defaultListSize: number): number {
  let cost = costs.get(requestContext.request);
  if (cost === undefined) {
    const { schema, document, operation, request } = requestContext;
    cost = operation ? operationCost(schema, document, operation, request.variables, defaultListSize) : 0;
    costs.set(request, cost);
  }
  return cost;
}
