import fs from 'node:fs';
import { Kind, parse, type EnumTypeDefinitionNode } from 'graphql';
import { fromRoot } from '../lib/paths';

export const committedSupergraph = (): string => fs.readFileSync(fromRoot('schema', 'supergraph.graphql'), 'utf8');

/** The subgraphs a supergraph joins, from its `join__Graph` enum. */
export function supergraphSubgraphs(sdl: string): { name: string; url: string }[] {
  const document = parse(sdl);
  const graphs = document.definitions.find(
    (definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  return (graphs?.values ?? []).flatMap((value) => {
    const directive = value.directives?.find((d) => d.name.value === 'join__graph');
    const arg = (name: string) => {
      const node = directive?.arguments?.find((a) => a.name.value === name)?.value;
      return node?.kind === Kind.STRING ? node.value : undefined;
    };
    const name = arg('name');
    const url = arg('url');
    return name && url ? [{ name, url }] : [];
  });
}

/** The federation authorization features: Apollo Router enforces them, @apollo/gateway cannot. */
export const authorizationFeatures = ['authenticated', 'requiresScopes', 'policy'];

/**
 * @apollo/gateway refuses a supergraph that links a `for: SECURITY` feature it does not
 * implement. We enforce these directives ourselves (each subgraph checks them on its
 * fields), so the runtime copy links them without the purpose; the committed supergraph
 * stays as composed, so that Apollo Router enforces the same rules.
 */
export function forGatewayRuntime(sdl: string): string {
  const features = authorizationFeatures.join('|');
  const link = new RegExp(`(@link\\(url: "https://specs\\.apollo\\.dev/(?:${features})/v[0-9.]+"(?:, import: \\[[^\\]]*\\])?), for: SECURITY\\)`, 'g');
  return sdl.replace(link, '$1)');
}
