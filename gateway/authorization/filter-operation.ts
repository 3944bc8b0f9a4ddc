import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Principal } from '../../lib/principal';
import { isAuthorized } from '../../schema/authorization';
import { queryTooComplex } from '../errors';
import type { AuthorizationIndex } from './rules';

/** One step of a response path: the response key, the field's type, and the object types it applies to. */
export interface PathStep {
  key: string;
  type: GraphQLOutputType;
  /** Set when a type condition narrows the parent: the step applies only to objects of these types. */
  onlyTypes?: ReadonlySet<string>;
}

export interface FilteredOperation {
  /** Nothing was removed: run the operation as sent. */
  unchanged: boolean;
  /** The operation without the removed fields (fragments inlined); absent when nothing is left. */
  operation?: OperationDefinitionNode;
  /** Fields removed because the caller may not see them: one error each. */
  unauthorized: PathStep[][];
  /** Fields removed because nothing under them was left: null, without an error. */
  emptied: PathStep[][];
}

/**
 * Removes every field the principal may not see from the operation (Router semantics),
 * through aliases, named fragments (inlined), inline fragments and interfaces; a field whose
 * selection becomes empty goes too. `maxNodes` bounds the walk over expanded fragments.
 */
export function filterOperation(
  index: AuthorizationIndex,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  principal: Principal | null,
  maxNodes: number,
): FilteredOperation {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const decisions = new Map<string, boolean>();
  const unauthorized: PathStep[][] = [];
  const emptied: PathStep[][] = [];
  let nodes = 0;

  const allowed = (parentType: GraphQLCompositeType, field: string): boolean => {
    const key = `${parentType.name}.${field}`;
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = index.rulesFor(parentType, field).every((rule) => isAuthorized(rule, principal));
      decisions.set(key, decision);
    }
    return decision;
  };

  const walk = (set: SelectionSetNode, parentType: GraphQLCompositeType, path: PathStep[], onlyTypes: ReadonlySet<string> | undefined): SelectionNode[] => {
    const kept: SelectionNode[] = [];
    for (const selection of set.selections) {
      if ((nodes += 1) > maxNodes) throw queryTooComplex('the operation is too large');
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) {
          kept.push(selection);
          continue;
        }
        const field = 'getFields' in parentType ? parentType.getFields()[name] : undefined;
        if (!field) {
          kept.push(selection);
          continue;
        }
        const step: PathStep = { key: selection.alias?.value ?? name, type: field.type, ...(onlyTypes ? { onlyTypes } : {}) };
        if (!allowed(parentType, name)) {
          unauthorized.push([...path, step]);
          continue;
        }
        const returned = getNamedType(field.type);
        if (!selection.selectionSet || !isCompositeType(returned)) {
          kept.push(selection);
          continue;
        }
        const children = walk(selection.selectionSet, returned, [...path, step], undefined);
        if (children.length === 0) {
          emptied.push([...path, step]);
          continue;
        }
        kept.push({ ...selection, selectionSet: { ...selection.selectionSet, selections: children } });
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment) continue;
      const condition = fragment.typeCondition ? index.schema.getType(fragment.typeCondition.name.value) : parentType;
      if (!condition || !isCompositeType(condition)) continue;
      const narrowed = condition.name === parentType.name ? onlyTypes : possibleTypeNames(index, condition);
      const children = walk(fragment.selectionSet, condition, path, narrowed);
      if (children.length === 0) continue;
      kept.push({
        kind: Kind.INLINE_FRAGMENT,
        ...(fragment.typeCondition ? { typeCondition: fragment.typeCondition } : {}),
        directives: selection.directives ?? [],
        selectionSet: { kind: Kind.SELECTION_SET, selections: children },
      });
    }
    return kept;
  };

  const root = index.schema.getRootType(operation.operation);
  if (!root) return { unchanged: true, unauthorized, emptied };
  const selections = walk(operation.selectionSet, root, [], undefined);
  if (unauthorized.length === 0 && emptied.length === 0) return { unchanged: true, unauthorized, emptied };
  return {
    unchanged: false,
    ...(selections.length ? { operation: { ...operation, selectionSet: { ...operation.selectionSet, selections } } } : {}),
    unauthorized: uniqueByPath(unauthorized),
    emptied: uniqueByPath(emptied),
  };
}

function possibleTypeNames(index: AuthorizationIndex, type: GraphQLCompositeType): ReadonlySet<string> {
  return new Set(isObjectType(type) ? [type.name] : index.schema.getPossibleTypes(type).map((possible) => possible.name));
}

/** The same field reached twice (directly and through a fragment) is one removed field. */
function uniqueByPath(paths: PathStep[][]): PathStep[][] {
  const seen = new Map<string, PathStep[]>();
  for (const path of paths) {
    const key = responsePath(path).join('.');
    if (!seen.has(key)) seen.set(key, path);
  }
  return [...seen.values()];
}

/** The response path of a removed field; `@` stands for every item of a list (as Router prints it). */
export function responsePath(path: readonly PathStep[]): (string | number)[] {
  const out: string[] = [];
  for (const [i, step] of path.entries()) {
    out.push(step.key);
    if (i < path.length - 1) for (let type = step.type; ; ) {
      const inner = isNonNullType(type) ? type.ofType : type;
      if (!isListType(inner)) break;
      out.push('@');
      type = inner.ofType;
    }
  }
  return out;
}
