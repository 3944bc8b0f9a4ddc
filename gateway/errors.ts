import type { GraphQLFormattedError } from 'graphql';
import { isClientErrorCode } from '../schema/errors';

/** Apollo Server's own request errors, which say what the client got wrong. */
const requestErrorCodes = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/** Extensions a client may see besides `code`. */
const visibleExtensions = ['argumentName', 'requestId', 'retryAfter'];

/**
 * Errors a client sees keep their stable code and message and nothing else (no stack, no
 * subgraph name, no SQL); every other failure becomes INTERNAL_SERVER_ERROR, and the
 * request id (added on the way out) points to the details in the logs.
 */
export function maskError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
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
