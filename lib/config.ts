import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { loadMasterKey } from './master-key';

export { ConfigError };

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const url = (fallback: string) => z.string().url().default(fallback);
/** What the defender does when a rule trips (gateway/defender). */
export const DEFENDER_ACTIONS = ['notify', 'throttle', 'block', 'revoke'] as const;
const defenderThreshold = (fallback: number) => z.coerce.number().int().min(0).max(1_000_000).default(fallback);
const defenderAction = (fallback: (typeof DEFENDER_ACTIONS)[number]) => z.enum(DEFENDER_ACTIONS).default(fallback);

/** Every environment variable the platform reads, with its default (CONTRACT §2). */
export const envSchema = z.object({
  CYPERNEX_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: url('postgres://postgres@127.0.0.1:5432/cypernex'),
  REDIS_URL: url('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().regex(/^[a-z0-9:_-]*$/i).default('cpx:'),
  MQTT_URL: url('mqtt://127.0.0.1:1883'),
  AUTH_ISSUER: url('http://127.0.0.1:4010'),
  /** Where the gateway fetches the issuer's keys; defaults to `${AUTH_ISSUER}/jwks`. */
  AUTH_JWKS_URL: z.string().url().optional(),
  CYPERNEX_MASTER_KEY: z.string().optional(),
  TRUST_PROXY: z.enum(['0', '1']).default('0'),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port(4000),
  TENANCY_PORT: port(4001),
  FLEET_PORT: port(4002),
  TELEMETRY_PORT: port(4003),
  DEVICE_PORT: port(4004),
  INGEST_PORT: port(4005),
  /** How often the ingestion worker folds parked rollup deltas into the rollups, seconds. */
  INGEST_FOLD_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * The ingestion workers' shared-subscription group (CONTRACT §6: `ingest`) and how long the
   * broker keeps a worker's session while it is away. Defaults: `ingest` and 7 days; in tests
   * a group per database and 5 minutes. A throwaway platform (a benchmark's) sets its own, so
   * that its session, once it is gone, holds no share of a real worker's messages.
   */
  INGEST_GROUP: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1 to 64)').optional(),
  INGEST_SESSION_EXPIRY_SECONDS: z.coerce.number().int().min(0).max(7 * 86_400).optional(),
  AUTH_PORT: port(4010),
  TENANCY_URL: url('http://127.0.0.1:4001/graphql'),
  FLEET_URL: url('http://127.0.0.1:4002/graphql'),
  TELEMETRY_URL: url('http://127.0.0.1:4003/graphql'),
  DEVICE_URL: url('http://127.0.0.1:4004/graphql'),
  /** Lifetime of the gateway → subgraph context token, seconds. */
  CONTEXT_TOKEN_TTL: z.coerce.number().int().min(5).max(300).default(60),
  /** Access-token lifetime for monitoring scopes, seconds (CONTRACT §3: at most 15 minutes). */
  ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(900).default(900),
  /** Access-token lifetime when control scopes are granted (CONTRACT §3: at most 5 minutes). */
  CONTROL_TOKEN_TTL: z.coerce.number().int().min(30).max(300).default(300),
  /** Wrong passwords in a row that lock an account (issue 5: ten). */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a locked account refuses every password, even the right one, seconds. */
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86400).default(900),
  /** Wrong passwords one source address may send within LOGIN_LOCKOUT_SECONDS before it is blocked. */
  LOGIN_SOURCE_MAX_FAILURES: z.coerce.number().int().min(1).max(10000).default(100),
  /** Control scopes need a sign-in at most this old, seconds (CONTRACT §3: a fresh login). */
  CONTROL_LOGIN_MAX_AGE: z.coerce.number().int().min(30).max(3600).default(300),
  /** Largest GraphQL request body the gateway reads, bytes (413 beyond). */
  GATEWAY_BODY_LIMIT: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  /** Per-request timeout of a gateway → subgraph call, milliseconds. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(10000),
  /** 1: identical reads with the same identity in flight share one subgraph call (gateway/subgraph-client.ts). */
  SUBGRAPH_DEDUPE_INFLIGHT: z.enum(['0', '1']).default('1'),
  /** Database pool size per service. */
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** How long a maintenance command waits for its device's answer before it expires, seconds. */
  COMMAND_TTL: z.coerce.number().int().min(1).max(86_400).default(600),
  /** How often the device subgraph marks overdue commands EXPIRED, milliseconds. */
  COMMAND_SWEEP_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  /** First webhook retry delay, milliseconds; each further retry doubles it. */
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  /** Delivery attempts of one webhook event before it is given up (the retry budget). */
  WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(12),
  /** After `device rotate-keys`, how long the previous data key stays valid, seconds. */
  KEY_ROTATION_OVERLAP: z.coerce.number().int().min(0).max(604_800).default(3600),
  /** Gateway: most lexical tokens in one operation (a longer document is a 400 syntax error). */
  GATEWAY_MAX_TOKENS: z.coerce.number().int().min(100).max(100_000).default(1000),
  /** Gateway: deepest field nesting of an operation (fragments expanded). */
  GATEWAY_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(8),
  /** Gateway: most aliases in one operation (`__typename` counts; fragments expanded). */
  GATEWAY_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  /** Gateway: most directives in one operation document. */
  GATEWAY_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(10),
  /** Gateway: highest static cost of one operation (list sizes from `first`). */
  GATEWAY_MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /** Gateway: assumed size of a list field without a `first` argument, for the cost. */
  GATEWAY_DEFAULT_LIST_SIZE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Gateway: cost units a principal may spend per window (per-client overrides in PostgreSQL). */
  RATE_LIMIT_PRINCIPAL: z.coerce.number().int().min(1).default(100_000),
  /** Gateway: cost units all principals of one tenant may spend per window. */
  RATE_LIMIT_TENANT: z.coerce.number().int().min(1).default(500_000),
  /** Gateway: rate-limit window, seconds. */
  RATE_LIMIT_WINDOW: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Gateway: how long an automatic persisted query stays in Redis, seconds. */
  APQ_TTL: z.coerce.number().int().min(60).max(30 * 86_400).default(86_400),
  /** Gateway: filtered operations kept per (operation, scope set), entries. */
  AUTHORIZATION_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  /** Gateway: worker processes (node:cluster); 0 means one per CPU core. */
  /** The gateway's public base URL, for the links `createDatasetLink` mints. */
  GATEWAY_PUBLIC_URL: url('http://127.0.0.1:4000'),
  /** Lifetime of a signed dataset link, seconds. */
  DATASET_LINK_TTL: z.coerce.number().int().min(60).max(7 * 86400).default(3600),
  GATEWAY_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  /** Defender: length of the sliding window every rule counts in, seconds. */
  DEFENDER_WINDOW: z.coerce.number().int().min(10).max(86_400).default(300),
  /** Defender: how long `block` cuts a principal off, seconds. */
  DEFENDER_BLOCK_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(900),
  /** Defender: how long `throttle` lowers a principal's limit, seconds. */
  DEFENDER_THROTTLE_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(900),
  /** Defender: requests per minute a throttled principal may send. */
  DEFENDER_THROTTLE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Defender, unknown-field probing: validation failures per window (0: off). */
  DEFENDER_PROBING_THRESHOLD: defenderThreshold(20),
  DEFENDER_PROBING_ACTION: defenderAction('block'),
  /** Defender, introspection attempts in production per window (0: off). */
  DEFENDER_INTROSPECTION_THRESHOLD: defenderThreshold(5),
  DEFENDER_INTROSPECTION_ACTION: defenderAction('block'),
  /** Defender, requests refused or trimmed by authorization (UNAUTHORIZED_FIELD_OR_TYPE, FORBIDDEN) per window (0: off). */
  DEFENDER_DENIALS_THRESHOLD: defenderThreshold(30),
  DEFENDER_DENIALS_ACTION: defenderAction('throttle'),
  /** Defender, id enumeration: lookups by id answering null per window (0: off)... */
  DEFENDER_ENUMERATION_THRESHOLD: defenderThreshold(30),
  DEFENDER_ENUMERATION_ACTION: defenderAction('block'),
  /** ...when at least this share of the principal's lookups by id answered null. */
  DEFENDER_ENUMERATION_RATIO: z.coerce.number().min(0).max(1).default(0.8),
  /** Defender, operations refused as QUERY_TOO_COMPLEX per window (0: off). */
  DEFENDER_COST_THRESHOLD: defenderThreshold(10),
  DEFENDER_COST_ACTION: defenderAction('throttle'),
  /** Defender, requests refused as RATE_LIMITED per window (0: off). */
  DEFENDER_RATE_LIMIT_THRESHOLD: defenderThreshold(10),
  DEFENDER_RATE_LIMIT_ACTION: defenderAction('block'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  production: boolean;
  /** 32 bytes; the one root secret (CONTRACT §2). */
  masterKey: Buffer;
  tls?: { cert: Buffer; key: Buffer };
}

/** Reads and validates the environment once; a bad or missing value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = issue.path.join('.');
    throw new ConfigError(`configuration: ${name} is invalid: ${issue.message} (got ${JSON.stringify(env[name] ?? null)})`);
  }
  const values = parsed.data;
  const production = values.CYPERNEX_ENV === 'production';
  const masterKey = loadMasterKey(values.CYPERNEX_MASTER_KEY, production);
  const config: Config = { ...values, production, masterKey };
  if (production) {
    if (!values.AUTH_ISSUER.startsWith('https://')) {
      throw new ConfigError('configuration: AUTH_ISSUER must be an https URL in production');
    }
    if (values.TRUST_PROXY !== '1') {
      if (!values.TLS_CERT_FILE || !values.TLS_KEY_FILE) {
        throw new ConfigError(
          'configuration: TLS_CERT_FILE and TLS_KEY_FILE are required in production unless TRUST_PROXY=1 declares a TLS proxy',
        );
      }
      config.tls = { cert: readFile('TLS_CERT_FILE', values.TLS_CERT_FILE), key: readFile('TLS_KEY_FILE', values.TLS_KEY_FILE) };
    }
  }
  return config;
}

function readFile(name: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`configuration: ${name} cannot be read: ${(error as Error).message}`);
  }
}

/** Runs a service's main, turning a configuration error into one line and exit code 78. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
