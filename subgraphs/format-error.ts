import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { InputError } from '../lib/input-error';
import { isClientErrorCode } from '../schema/errors';

/** Apollo's own request errors (parse, validation, bad request) are safe to show too. */
const apolloCodes = new Set<string>(Object.values(ApolloServerErrorCode));

const isKnownCode = (code: unknown): code is string =>
  code !== 'INTERNAL_SERVER_ERROR' && (isClientErrorCode(code) || (typeof code === 'string' && apolloCodes.has(code)));

/** True when the error is unexpected: it is masked for the client and logged in full. */
export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof InputError) return false;
  return !isKnownCode((error as { extensions?: { code?: unknown } }).extensions?.code);
}

/**
 * Clients see a stable code and our own message; anything else (a bug, a driver error with
 * SQL in its message) becomes INTERNAL_SERVER_ERROR without stack or detail.
 */
export function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  const original = unwrapResolverError(error);
  if (original instanceof InputError) {
    return {
      message: original.message,
      ...where,
      extensions: { code: 'BAD_USER_INPUT', ...(original.field ? { argumentName: original.field } : {}) },
    };
  }
  const code = formatted.extensions?.code;
  if (isKnownCode(code)) {
    const argumentName = formatted.extensions?.argumentName;
    return { message: formatted.message, ...where, extensions: { code, ...(argumentName ? { argumentName } : {}) } };
  }
  return { message: 'Internal server error', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
