import { isListType, isNonNullType, type GraphQLOutputType } from 'graphql';
import type { PathStep } from './filter-operation';

type Json = Record<string, unknown>;

/**
 * Puts `null` where a removed field would have been, in every object the path reaches, and
 * lets it bubble up through non-null fields as GraphQL execution would (Apollo Router
 * reshapes its responses the same way). Returns the data, which may have become null.
 */
export function applyNulls(data: Json | null, path: readonly PathStep[]): Json | null {
  if (!data) return data;
  return setInObject(data, path, 0) ? null : data;
}

/** True when the object itself must become null. */
function setInObject(object: Json, path: readonly PathStep[], i: number): boolean {
  const step = path[i]!;
  if (step.onlyTypes && !(typeof object.__typename === 'string' && step.onlyTypes.has(object.__typename))) return false;
  if (i === path.length - 1) {
    object[step.key] = null;
    return isNonNullType(step.type);
  }
  return settle(object, step.key, step.type, (value) => setInObject(value, path, i + 1));
}

/** Walks through list and non-null wrappers; true when the container must become null. */
function settle(container: Json | unknown[], slot: string | number, type: GraphQLOutputType, next: (object: Json) => boolean): boolean {
  const value = (container as Record<string | number, unknown>)[slot];
  if (value === null || value === undefined) return false;
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  let mustBeNull = false;
  if (isListType(inner) && Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (settle(value, i, inner.ofType as GraphQLOutputType, next)) mustBeNull = true;
  } else if (typeof value === 'object') {
    mustBeNull = next(value as Json);
  }
  if (!mustBeNull) return false;
  (container as Record<string | number, unknown>)[slot] = null;
  return nonNull;
}
