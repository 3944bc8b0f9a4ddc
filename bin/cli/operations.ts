import fs from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { findClient } from '../../auth/clients.store';
import { InputError } from '../../lib/input-error';
import { operatorScope } from '../../lib/tenant-scope';
import { registerDocuments, setClientLimits, setTrustedOnly, type TrustedDocument } from '../../gateway/security.store';
import { integer, optional, required, type Command, type CommandContext } from './command';

async function requireClient(ctx: CommandContext, options: Record<string, string | boolean | undefined>): Promise<string> {
  const clientId = required(options, 'client');
  if (!(await findClient(ctx.pool(), operatorScope, clientId))) throw new InputError(`--client: no client ${clientId}`, 'client');
  return clientId;
}

/**
 * One trusted document per operation of the file: the operation and the fragments it uses,
 * printed by graphql-js (the client sends that text, or its SHA-256 as an APQ hash).
 */
export function trustedDocuments(source: string): TrustedDocument[] {
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    throw new InputError(`--file: not a GraphQL document: ${(error as Error).message}`, 'file');
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) throw new InputError('--file: the document has no operation', 'file');
  return operations.map((operation) => {
    const used = new Map<string, DefinitionNode>();
    const collect = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
      visit(node, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (!fragment) throw new InputError(`--file: unknown fragment ${spread.name.value}`, 'file');
          if (!used.has(fragment.name.value)) {
            used.set(fragment.name.value, fragment);
            collect(fragment);
          }
        },
      });
    collect(operation);
    const body = print({ kind: Kind.DOCUMENT, definitions: [operation, ...used.values()] });
    return { name: operation.name?.value ?? null, body };
  });
}

export const operationsRegister: Command = {
  usage: '--client CLIENT_ID --file OPERATIONS.graphql',
  options: { client: { type: 'string' }, file: { type: 'string' } },
  async run(ctx, options) {
    const clientId = await requireClient(ctx, options);
    const file = required(options, 'file');
    let source: string;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new InputError(`--file: cannot read ${file}: ${(error as Error).message}`, 'file');
    }
    const documents = trustedDocuments(source);
    const hashes = await registerDocuments(ctx.pool(), clientId, documents);
    return { operations: documents.map((document, i) => ({ name: document.name, hash: hashes[i], body: document.body })) };
  },
};

export const operationsTrustedOnly: Command = {
  usage: '--client CLIENT_ID --on|--off',
  options: { client: { type: 'string' }, on: { type: 'boolean' }, off: { type: 'boolean' } },
  async run(ctx, options) {
    if ((options.on === true) === (options.off === true)) throw new InputError('give exactly one of --on and --off', 'on');
    const clientId = await requireClient(ctx, options);
    await setTrustedOnly(ctx.pool(), clientId, options.on === true);
    return { clientId, trustedOnly: options.on === true };
  },
};

export const operationsLimits: Command = {
  usage: '--client CLIENT_ID [--principal COST_PER_WINDOW] [--tenant COST_PER_WINDOW]   (omitted: the configured default)',
  options: { client: { type: 'string' }, principal: { type: 'string' }, tenant: { type: 'string' } },
  async run(ctx, options) {
    const clientId = await requireClient(ctx, options);
    const limit = (name: string) => (optional(options, name) === undefined ? null : integer(options, name, 0, 1, 1_000_000_000));
    const limits = { principalLimit: limit('principal'), tenantLimit: limit('tenant') };
    await setClientLimits(ctx.pool(), clientId, limits);
    return { clientId, ...limits };
  },
};
