import { getNamedType, isNonNullType, Kind, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Counter } from './rules';

export type Observations = Partial<Record<Counter, number>>;

export interface ObservedResponse {
  errors: readonly GraphQLFormattedError[] | undefined;
  data: Record<string, unknown> | null | undefined;
  operation: OperationDefinitionNode | undefined;
  schema: GraphQLSchema;
}

/** Apollo Server's NoIntrospection rule reports with this message (the validation code is masked). */
const INTROSPECTION = /introspection is not allowed/i;

const lookupsBySchema = new WeakMap<GraphQLSchema, ReadonlySet<string>>();

/**
 * Root fields that fetch one object by `id: ID!` and answer null when it is missing or
 * foreign (CONTRACT §3: never forbidden): what an id enumeration walks (`device`, `tenant`).
 */
export function lookupFields(schema: GraphQLSchema): ReadonlySet<string> {
  let fields = lookupsBySchema.get(schema);
  if (!fields) {
    const candidates = Object.values(schema.getQueryType()?.getFields() ?? {});
    fields = new Set(
      candidates
        .filter((field) => !isNonNullType(field.type) && field.args.some((arg) => arg.name === 'id' && isNonNullType(arg.type) && getNamedType(arg.type).name === 'ID'))
        .map((field) => field.name),
    );
    lookupsBySchema.set(schema, fields);
  }
  return fields;
}

/** Response keys of the root fields that are lookups by id. */
function lookupKeys(selectionSet: SelectionSetNode, fields: ReadonlySet<string>, keys: string[] = []): string[] {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD && fields.has(selection.name.value)) keys.push(selection.alias?.value ?? selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) lookupKeys(selection.selectionSet, fields, keys);
  }
  return keys;
}

/**
 * What one response tells the defender, from what the client receives (codes after
 * masking): validation failures (probing, or introspection in production), whether
 * authorization trimmed or refused it, cost and rate-limit refusals, and its lookups by id
 * with how many answered null. A field removed by authorization is a denial, not a miss.
 */
export function observe(response: ObservedResponse): Observations {
  const seen: Observations = {};
  const add = (counter: Counter, n = 1) => (seen[counter] = (seen[counter] ?? 0) + n);
  const unauthorized = new Set<string>();
  let denied = false;
  for (const error of response.errors ?? []) {
    switch (error.extensions?.code) {
      case 'GRAPHQL_VALIDATION_FAILED':
        add(INTROSPECTION.test(error.message) ? 'introspection' : 'probing');
        break;
      case 'UNAUTHORIZED_FIELD_OR_TYPE':
        if (error.path?.length === 1) unauthorized.add(String(error.path[0]));
        denied = true;
        break;
      case 'FORBIDDEN':
        denied = true;
        break;
      case 'QUERY_TOO_COMPLEX':
        seen.cost = 1;
        break;
      case 'RATE_LIMITED':
        seen['rate-limit'] = 1;
        break;
    }
  }
  if (denied) add('denials');
  const { operation, data } = response;
  if (operation?.operation === 'query' && data) {
    for (const key of lookupKeys(operation.selectionSet, lookupFields(response.schema))) {
      if (unauthorized.has(key) || !(key in data)) continue;
      add('lookups');
      if (data[key] === null) add('enumeration');
    }
  }
  return seen;
}
