/**
 * Input that a caller (CLI user, GraphQL client, partner) got wrong. The CLI prints the
 * message as one line and exits 2; resolvers turn it into BAD_USER_INPUT.
 */
export class InputError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Runs `parse` and turns any failure into an InputError naming the field. */
export function parseInput<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${field}: ${(error as Error).message}`, field);
  }
}
