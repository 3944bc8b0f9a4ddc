import { execute, getVariableValues, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';

/** A document is compiled the second time it runs: one-off documents never pay for compiling. */
const COMPILE_AFTER = 1;

/** `compiled` is null once graphql-jit has refused the document. */
type Entry = { runs: number; compiled?: CompiledQuery | null };

/**
 * Runs a subgraph's queries through graphql-jit, handed to Apollo Server through its gateway
 * interface (the one hook Apollo Server 5 has for replacing `execute`). graphql-js resolves
 * every field through generic machinery: a day of raw readings for one device is about half
 * a million leaf fields, which graphql-js needs most of a second for, and a compiled query a
 * fraction of it (docs/benchmarks.md, Queries). Parsing, validation, plugins, error formatting
 * stay Apollo Server's. Whatever jit might answer differently runs on graphql-js instead:
 * mutations (serial execution), documents it cannot compile, and variables that do not
 * coerce (graphql-js's errors are the ones clients get 400 BAD_USER_INPUT for).
 */
export function compiledSchemaGateway(schema: GraphQLSchema): GatewayInterface {
  // Apollo Server hands back the same DocumentNode for a query it has parsed before (its
  // document store), so compiled queries live exactly as long as their documents.
  const entries = new WeakMap<DocumentNode, Map<string, Entry>>();
  const executor: GatewayExecutor = async (request: GatewayGraphQLRequestContext) => {
    const { document, operation, context } = request;
    const variables = request.request.variables ?? {};
    const operationName = request.operationName ?? undefined;
    const fallback = () => execute({ schema, document, operationName, variableValues: variables, contextValue: context }) as Promise<ExecutionResult>;
    if (operation.operation !== 'query') return fallback();
    let byOperation = entries.get(document);
    if (!byOperation) entries.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let entry = byOperation.get(key);
    if (!entry) byOperation.set(key, (entry = { runs: 0 }));
    if (entry.compiled === undefined) {
      entry.runs += 1;
      if (entry.runs <= COMPILE_AFTER) return fallback();
      const compiled = compileQuery(schema, document, operationName);
      entry.compiled = isCompiledQuery(compiled) ? compiled : null;
    }
    if (!entry.compiled) return fallback();
    if (operation.variableDefinitions?.length && getVariableValues(schema, operation.variableDefinitions, variables).errors) return fallback();
    const result = (await entry.compiled.query(undefined, context, variables)) as ExecutionResult;
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    load: async () => ({ schema, executor }),
    stop: async () => undefined,
  };
}

/**
 * graphql-jit's errors inherit from GraphQLError but leave `extensions` undefined when the
 * thrown error had none, which Apollo Server's error formatting does not survive: rebuilt as
 * graphql-js builds a resolver's error (same message, path, locations, original error).
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? undefined });
  return error.locations ? Object.assign(rebuilt, { locations: error.locations }) : rebuilt;
}
