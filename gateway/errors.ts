import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { clientError, isClientErrorCode } from '../schema/errors';

/** Apollo Server's own request errors, which say what the client got wrong. */
const requestErrorCodes = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/** Extensions a client may see besides `code`. */
const visibleExtensions = ['argumentName', 'requestId', 'retryAfter'];

/**
 * Errors a client sees keep their stable code and message and nothing else (no stack, no
 * subgraph name, no SQL); every other failure becomes INTERNAL_SERVER_ERROR, and the
 * request id (added on the way out) points to the details in the logs.
 */
export function maskError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const code = ownCode(error) ?? formatted.extensions?.code;
  const known = (isClientErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') || (typeof code === 'string' && requestErrorCodes.has(code));
  if (!known) {
    return { message: 'internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  const extensions: Record<string, unknown> = { code };
  for (const name of visibleExtensions) {
    if (formatted.extensions?.[name] !== undefined) extensions[name] = formatted.extensions[name];
  }
  return {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}

/**
 * Apollo Server re-codes every validation-rule error as GRAPHQL_VALIDATION_FAILED; a limit
 * rule's own QUERY_TOO_COMPLEX (kept as the original error) is what the client must see.
 */
function ownCode(error: unknown): string | undefined {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const code = original instanceof GraphQLError ? original.extensions?.code : undefined;
  return code === 'QUERY_TOO_COMPLEX' ? code : undefined;
}

/** An operation over one of the gateway's limits (400; it never reaches a subgraph). */
export const queryTooComplex = (message: string): GraphQLError => clientError('QUERY_TOO_COMPLEX', message, { http: { status: 400 } });

export const persistedQueryRequired = (): GraphQLError =>
  clientError('PERSISTED_QUERY_REQUIRED', 'this client may run only its registered operations', { http: { status: 400 } });
