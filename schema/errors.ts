import { GraphQLError } from 'graphql';

/**
 * The error codes clients see (CONTRACT §5), each with its HTTP status when it ends the
 * request and what it means. Everything else is masked as INTERNAL_SERVER_ERROR.
 */
export const errorCodes = {
  UNAUTHENTICATED: { status: 401, meaning: 'no valid access token or API key' },
  UNAUTHORIZED_FIELD_OR_TYPE: { status: 200, meaning: 'a field the caller may not see was removed' },
  FORBIDDEN: { status: 403, meaning: 'the caller lacks the scope or role for the operation' },
  BAD_USER_INPUT: { status: 400, meaning: 'an argument is malformed or out of range' },
  NOT_FOUND: { status: 404, meaning: 'the object does not exist or is not visible to the caller' },
  RATE_LIMITED: { status: 429, meaning: 'the principal or tenant spent its rate budget' },
  QUERY_TOO_COMPLEX: { status: 400, meaning: 'the operation exceeds a depth, alias, directive, token or cost limit' },
  PERSISTED_QUERY_REQUIRED: { status: 400, meaning: 'the client may run only its registered operations' },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'an unexpected failure; details are in the logs under the request id' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export const isClientErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.prototype.hasOwnProperty.call(errorCodes, code);

export function clientError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badInput = (message: string, argumentName?: string): GraphQLError =>
  clientError('BAD_USER_INPUT', message, argumentName ? { argumentName } : {});

export const unauthenticated = (message = 'a valid access token or API key is required'): GraphQLError =>
  clientError('UNAUTHENTICATED', message, { http: { status: 401 } });

export const forbidden = (message: string): GraphQLError => clientError('FORBIDDEN', message);
