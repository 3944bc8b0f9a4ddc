import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { redactUrl } from './postgres';
import { withTimeout } from './http';

const howToStart = {
  PostgreSQL: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start  (or: docker compose up -d postgres)",
  Redis: "redis-server --daemonize yes --port 6379  (or: docker compose up -d redis)",
  MQTT: "mosquitto -d -c /etc/mosquitto/mosquitto.conf  (or: docker compose up -d mosquitto)",
} as const;

export type DependencyKind = keyof typeof howToStart;

export class UnreachableError extends Error {}

/** CONTRACT §2: one line naming the service, the URL tried (no credentials) and how to start it. */
export function unreachableMessage(service: string, kind: DependencyKind, url: string, cause: unknown): string {
  const reason = (cause as { code?: string }).code ?? (cause as Error).message ?? String(cause);
  return `${service}: cannot reach ${kind} at ${redactUrl(url)} (${reason}); start it with: ${howToStart[kind]}`;
}

export async function requireReachable(service: string, kind: DependencyKind, url: string, probe: () => Promise<unknown>): Promise<void> {
  try {
    await withTimeout(probe(), 5000);
  } catch (error) {
    throw new UnreachableError(unreachableMessage(service, kind, url, error));
  }
}

export const pingPostgres = (pool: Pool) => () => pool.query('select 1').then(() => undefined);
export const pingRedis = (redis: Redis) => () => redis.ping().then(() => undefined);

/** For main.ts files: print a startup failure as one line and exit non-zero. */
export function exitOnStartupError(service: string) {
  return (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(message.startsWith(`${service}:`) || message.startsWith('configuration:') ? message : `${service}: ${message}`);
    process.exit(error instanceof UnreachableError ? 69 : 1);
  };
}
