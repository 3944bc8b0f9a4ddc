import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

export interface Shape {
  /** Deepest field nesting, fragments expanded (`{ a { b } }` is 2). */
  depth: number;
  /** Aliased fields, fragments expanded once per spread; `__typename` counts like any field. */
  aliases: number;
}

/**
 * Measures an operation as it will run, with fragments expanded, in time linear in the
 * document: each fragment is measured once and memoized, and a fragment cycle (refused by
 * validation anyway) counts as empty instead of recursing forever.
 */
export function measureShape(document: DocumentNode, selectionSet: SelectionSetNode): Shape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const memo = new Map<string, Shape>();
  const visiting = new Set<string>();

  const measure = (set: SelectionSetNode): Shape => {
    let depth = 0;
    let aliases = 0;
    for (const selection of set.selections) {
      let inner: Shape;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? measure(selection.selectionSet) : { depth: 0, aliases: 0 };
        inner = { depth: below.depth + 1, aliases: below.aliases + (selection.alias ? 1 : 0) };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measure(selection.selectionSet);
      } else {
        inner = fragment(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
    }
    return { depth, aliases };
  };

  const fragment = (name: string): Shape => {
    const known = memo.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || visiting.has(name)) return { depth: 0, aliases: 0 };
    visiting.add(name);
    const shape = measure(definition.selectionSet);
    visiting.delete(name);
    memo.set(name, shape);
    return shape;
  };

  return measure(selectionSet);
}
