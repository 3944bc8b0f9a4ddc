import type { Pool } from 'pg';
import { loadClientSettings, type ClientSettings } from './security.store';

/** How long the gateway trusts what it read: a CLI change applies within this time. */
const TTL_MS = 10_000;

/**
 * Client settings with a short in-process cache, so that a request costs no PostgreSQL
 * round trip; concurrent misses for one client share one query.
 */
export function createClientSettingsCache(pool: Pool): (clientId: string) => Promise<ClientSettings> {
  const entries = new Map<string, { at: number; value: Promise<ClientSettings> }>();
  return (clientId) => {
    const now = Date.now();
    const entry = entries.get(clientId);
    if (entry && now - entry.at < TTL_MS) return entry.value;
    const value = loadClientSettings(pool, clientId);
    entries.set(clientId, { at: now, value });
    value.catch(() => entries.delete(clientId));
    if (entries.size > 10_000) entries.delete(entries.keys().next().value!);
    return value;
  };
}
