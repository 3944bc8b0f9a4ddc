import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../../schema/connection';

/** The argument that sizes a list (Relay connections); its default in the schema applies too. */
const SLICING_ARGUMENT = 'first';

/** Fields of a connection that the connection's `first` already sizes (`@listSize(sizedFields:)`). */
const SIZED_FIELDS = new Set(['edges', 'nodes']);

/**
 * Static cost of an operation, the unit of rate limits: every field that returns an object
 * costs 1 (a scalar 0, as in the `@cost` defaults of the IBM/GraphQL cost specification),
 * and that field's subtree is multiplied by its list size (`first`, from the literal, the variable or the
 * schema default; a list without `first` counts `defaultListSize`). A query of 100 aliases
 * therefore costs what 100 queries cost. Fragments are costed once each (memoized), so a
 * document cannot make this walk exponential.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  defaultListSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();

  const costOf = (set: SelectionSetNode, parentType: GraphQLCompositeType, sized: boolean): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, parentType, sized);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
        total += condition && isCompositeType(condition) ? costOf(selection.selectionSet, condition, sized) : 0;
      } else {
        total += fragmentCost(selection.name.value, sized);
      }
    }
    return total;
  };

  const fragmentCost = (name: string, sized: boolean): number => {
    const key = `${name}:${sized}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    const condition = definition ? schema.getType(definition.typeCondition.name.value) : undefined;
    if (!definition || !condition || !isCompositeType(condition) || visiting.has(name)) return 0;
    visiting.add(name);
    const cost = costOf(definition.selectionSet, condition, sized);
    visiting.delete(name);
    memo.set(key, cost);
    return cost;
  };

  const fieldCost = (node: FieldNode, parentType: GraphQLCompositeType, sized: boolean): number => {
    const field = 'getFields' in parentType ? parentType.getFields()[node.name.value] : undefined;
    if (!field || !node.selectionSet) return 0;
    const returned = getNamedType(field.type);
    if (!isCompositeType(returned)) return 0;
    const first = slicingSize(field, node, variables);
    const size = first ?? (isList(field.type) && !(sized && SIZED_FIELDS.has(field.name)) ? defaultListSize : 1);
    return 1 + size * costOf(node.selectionSet, returned, first !== undefined);
  };

  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root, false) : 0;
}

function slicingSize(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown> | undefined): number | undefined {
  const definition = field.args.find((arg) => arg.name === SLICING_ARGUMENT);
  if (!definition) return undefined;
  const argument = node.arguments?.find((arg) => arg.name.value === SLICING_ARGUMENT);
  const value = argument ? valueFromAST(argument.value, definition.type, variables) : definition.defaultValue;
  // A larger `first` is refused by the subgraph as BAD_USER_INPUT, which says more than a cost error.
  return typeof value === 'number' && value >= 0 ? Math.min(value, MAX_PAGE_SIZE) : undefined;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}
