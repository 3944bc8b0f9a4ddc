import { Directive, Field, ObjectType } from 'type-graphql';
import { InputError } from '../lib/input-error';

/** Relay `first` is capped so that one request cannot ask for an unbounded page. */
export const MAX_PAGE_SIZE = 500;

/** Shareable: every subgraph that serves a connection declares the same PageInfo. */
@ObjectType()
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export function parseFirst(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new InputError(`first: must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/**
 * Cursors are opaque to clients: base64url of `<kind>:<key>`. A cursor of another kind or
 * with a key that fails `valid` is malformed input, never a database error.
 */
export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined, valid: (key: string) => boolean): string | null {
  if (cursor === null || cursor === undefined) return null;
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : '';
  if (!valid(key)) throw new InputError('after: malformed cursor', 'after');
  return key;
}

/** A Relay connection of `nodes`, one page of a list in cursor order. */
export function connectionOf<T>(nodes: readonly T[], hasNextPage: boolean, cursorOf: (node: T) => string) {
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
