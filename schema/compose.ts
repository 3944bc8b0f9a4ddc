import fs from 'node:fs';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { fromRoot } from '../lib/paths';
import { subgraphs, type SubgraphEntry } from './subgraphs';

/** The committed supergraph the gateway serves (DESIGN: decisions). */
export const SUPERGRAPH_FILE = fromRoot('schema', 'supergraph.graphql');

export class CompositionError extends Error {}

/** Composes the subgraphs in memory into the supergraph SDL; fails listing every composition error. */
export async function composeSupergraph(entries: readonly SubgraphEntry[] = subgraphs): Promise<string> {
  const services = await Promise.all(
    entries.map(async (subgraph) => ({
      name: subgraph.name,
      url: subgraph.defaultUrl,
      typeDefs: parse(printSubgraphSchema(await subgraph.buildSchema())),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(`composition failed:\n${result.errors.map((error) => `- ${error.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}

async function main(): Promise<void> {
  const sdl = await composeSupergraph();
  fs.writeFileSync(SUPERGRAPH_FILE, sdl);
  console.log(`compose: wrote ${SUPERGRAPH_FILE} (${subgraphs.map((subgraph) => subgraph.name).join(', ')})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof CompositionError ? error.message : error);
    process.exit(1);
  });
}
