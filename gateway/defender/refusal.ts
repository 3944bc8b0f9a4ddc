import { HeaderMap } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { clientError } from '../../schema/errors';
import type { DefenderDenial } from './remedy';
import { RULES } from './rules';

function parse(entry: string): DefenderDenial | null {
  if (!entry.startsWith('{')) return null;
  try {
    const denial = JSON.parse(entry) as Partial<DefenderDenial>;
    return denial.by === 'defender' && typeof denial.event === 'string' && denial.rule !== undefined && denial.rule in RULES ? (denial as DefenderDenial) : null;
  } catch {
    return null;
  }
}

/**
 * The answer to a principal the defender cut off, from its deny-list entry: it says what
 * was detected, until when, and which security event a tenant admin can lift. Null for an
 * entry the defender did not write (`auth deny`, a revoked key): those stay "access revoked".
 */
export function defenderRefusal(entry: string): GraphQLError | null {
  const denial = parse(entry);
  if (!denial) return null;
  const why = `${RULES[denial.rule]} (security event ${denial.event})`;
  const retryAfter = denial.until ? Math.max(1, Math.ceil((Date.parse(denial.until) - Date.now()) / 1000)) : null;
  switch (denial.action) {
    case 'throttle': {
      const headers = new HeaderMap([['retry-after', String(retryAfter ?? 60)]]);
      return clientError('RATE_LIMITED', `throttled by the API defender after ${why}; retry after ${retryAfter ?? 60} s`, {
        retryAfter: retryAfter ?? 60,
        http: { status: 429, headers },
      });
    }
    case 'block':
      return clientError('FORBIDDEN', `blocked by the API defender until ${denial.until} after ${why}; a tenant admin can lift it`, {
        ...(retryAfter ? { retryAfter } : {}),
        http: { status: 403 },
      });
    case 'revoke':
      return clientError('UNAUTHENTICATED', `credential revoked by the API defender after ${why}; a tenant admin can lift it`, { http: { status: 401 } });
  }
}
