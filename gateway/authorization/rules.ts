import {
  buildASTSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
} from 'graphql';
import type { AuthRule } from '../../schema/authorization';
import { isPolicyName, type PolicyName } from '../../schema/policies';

/** The spec URLs of the federation authorization features, by their default directive name. */
const features = {
  authenticated: 'https://specs.apollo.dev/authenticated/',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes/',
  policy: 'https://specs.apollo.dev/policy/',
} as const;

type Feature = keyof typeof features;

export interface AuthorizationIndex {
  /** The supergraph as a schema (types and fields are those of the API schema). */
  schema: GraphQLSchema;
  /** Every rule that selecting `field` on `parentType` must satisfy (Apollo Router's semantics). */
  rulesFor(parentType: GraphQLCompositeType, field: string): readonly AuthRule[];
  /** Whether the supergraph declares any rule at all (if not, filtering is skipped). */
  empty: boolean;
}

/**
 * Reads the @authenticated / @requiresScopes / @policy directives of a supergraph: on fields
 * and on types (object, interface, scalar, enum). A type rule applies to every field that
 * returns the type; a field returning an interface or union needs the rules of every
 * possible type, and a field selected on an interface needs the rules of that field on
 * every implementation, as Apollo Router reads them.
 */
export function indexAuthorization(supergraphSdl: string): AuthorizationIndex {
  const document = parse(supergraphSdl);
  const names = directiveNames(document);
  const schema = buildASTSchema(document, { assumeValid: true, assumeValidSDL: true });
  const typeRules = new Map<string, AuthRule[]>();
  const fieldRules = new Map<string, AuthRule[]>();
  let count = 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const own = rulesOf(type.astNode?.directives, names);
    if (own.length) typeRules.set(type.name, own);
    count += own.length;
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const rules = rulesOf(field.astNode?.directives, names);
      if (rules.length) fieldRules.set(`${type.name}.${field.name}`, rules);
      count += rules.length;
    }
  }

  const cache = new Map<string, readonly AuthRule[]>();
  const compute = (parentType: GraphQLCompositeType, fieldName: string): AuthRule[] => {
    const rules = [...(typeRules.get(parentType.name) ?? []), ...(fieldRules.get(`${parentType.name}.${fieldName}`) ?? [])];
    if (isAbstractType(parentType)) {
      for (const possible of schema.getPossibleTypes(parentType)) rules.push(...(fieldRules.get(`${possible.name}.${fieldName}`) ?? []));
    }
    if (isAbstractType(parentType) || isObjectType(parentType)) {
      const field = 'getFields' in parentType ? parentType.getFields()[fieldName] : undefined;
      if (field) {
        const returned = getNamedType(field.type);
        rules.push(...(typeRules.get(returned.name) ?? []));
        if (isAbstractType(returned)) for (const possible of schema.getPossibleTypes(returned)) rules.push(...(typeRules.get(possible.name) ?? []));
      }
    }
    return rules;
  };
  return {
    schema,
    empty: count === 0,
    rulesFor(parentType, fieldName) {
      const key = `${parentType.name}.${fieldName}`;
      let rules = cache.get(key);
      if (!rules) cache.set(key, (rules = compute(parentType, fieldName)));
      return rules;
    },
  };
}

/** The local directive name of each feature, honouring `@link(as:)` and `import: [{name, as}]`. */
function directiveNames(document: ReturnType<typeof parse>): Map<string, Feature> {
  const names = new Map<string, Feature>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = Object.fromEntries((link.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)])) as Record<string, unknown>;
      const feature = (Object.keys(features) as Feature[]).find((name) => typeof args.url === 'string' && args.url.startsWith(features[name]));
      if (!feature) continue;
      names.set(typeof args.as === 'string' ? args.as : feature, feature);
      for (const imported of Array.isArray(args.import) ? args.import : []) {
        if (imported && typeof imported === 'object' && (imported as { name?: unknown }).name === `@${feature}`) {
          const alias = (imported as { as?: unknown }).as;
          if (typeof alias === 'string') names.set(alias.replace(/^@/, ''), feature);
        }
      }
    }
  }
  return names;
}

function rulesOf(directives: readonly ConstDirectiveNode[] | undefined, names: Map<string, Feature>): AuthRule[] {
  const rules: AuthRule[] = [];
  for (const directive of directives ?? []) {
    const feature = names.get(directive.name.value);
    if (!feature) continue;
    const args = Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)])) as Record<string, unknown>;
    if (feature === 'authenticated') rules.push({ kind: 'authenticated' });
    if (feature === 'requiresScopes') rules.push({ kind: 'requiresScopes', scopes: orOfAnds(args.scopes, directive) });
    if (feature === 'policy') {
      const groups = orOfAnds(args.policies, directive);
      const unknown = groups.flat().filter((name) => !isPolicyName(name));
      // An unknown policy name must stop the gateway, never grant or silently deny.
      if (unknown.length) throw new Error(`supergraph: unknown @policy name(s) ${unknown.join(', ')}`);
      rules.push({ kind: 'policy', policies: groups as PolicyName[][] });
    }
  }
  return rules;
}

function orOfAnds(value: unknown, directive: ConstDirectiveNode): string[][] {
  if (!Array.isArray(value) || !value.every((group) => Array.isArray(group) && group.every((name) => typeof name === 'string'))) {
    throw new Error(`supergraph: @${directive.name.value} needs a list of lists of names`);
  }
  return value as string[][];
}
