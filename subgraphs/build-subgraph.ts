import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';

/**
 * Federation 2.9: the first version Apollo composition 2.14 and the gateway support that
 * has @authenticated, @requiresScopes and @policy (2.5) as well as @cost/@listSize (2.9).
 */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ' +
  '["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", ' +
  '"@authenticated", "@requiresScopes", "@policy", "@cost", "@listSize"])';

/** Loads an entity from its representation (`{ __typename, id, ... }`) for the gateway. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReferenceResolver<TContext> = (reference: any, context: TContext) => unknown;

export interface SubgraphDefinition<TContext> {
  /** The resolver classes, listed explicitly (STYLE.md). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  /** `__resolveReference` per entity type name this subgraph can load. */
  references?: Record<string, ReferenceResolver<TContext>>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
}

/**
 * The one way a subgraph schema is built (after type-graphql's federation example): the
 * type-graphql schema is printed with its directives under the federation @link and rebuilt
 * by @apollo/subgraph, keeping type-graphql's resolvers (and so its middlewares). It needs
 * no connection: `npm run compose` builds every subgraph this way.
 */
export async function buildFederatedSubgraph<TContext>(definition: SubgraphDefinition<TContext>): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: definition.resolvers,
    orphanedTypes: definition.orphanedTypes ?? [],
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolveReference] of Object.entries(definition.references ?? {})) {
    const type = resolvers[typeName];
    if (!type) throw new Error(`reference resolver for ${typeName}, which the subgraph does not define`);
    Object.assign(type, { __resolveReference: resolveReference });
  }
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`),
    resolvers,
  });
}
