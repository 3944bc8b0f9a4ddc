import { DateTimeResolver } from 'graphql-scalars';

/**
 * `DateTime` (CONTRACT §5): ISO 8601 with offset. Every subgraph uses this one scalar, so
 * that composition sees the same definition everywhere.
 */
export const DateTime = DateTimeResolver;
