import 'reflect-metadata';
import crypto from 'node:crypto';
import os from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase } from '../../lib/postgres';
import { createRedis, dropKeysWithPrefix } from '../../lib/redis';
import { createClient } from '../../auth/clients.store';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { createTenant } from '../../subgraphs/tenancy/store';
import { operatorScope } from '../../lib/tenant-scope';
import { recordLatest } from '../../subgraphs/telemetry/latest-store';
import { calibrationMs } from '../calibrate';
import { cleanUpOnce } from '../clean-up';
import { freePort, waitUntil } from '../ingest/processes';
import { seedDay, seedYearOfHours } from './data';
import { groupCpuMs } from './process-cpu';

/**
 * `npm run bench:query`: the platform as `npm start` runs it (every service its own
 * process) on a database of its own, queried through the gateway one request at a time.
 * Besides latency, each query reports the CPU time the platform's processes used per request
 * (PostgreSQL and Redis not included), which other load on the machine hardly changes.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
/**
 * Requests per query, from ITERATIONS: the goals are p99s, and the p99 of n requests is
 * about the (n/100)th slowest, so the queries with goals get enough requests for that to
 * be more than one or two outliers (latest100: 1,000 by default, ~15 s; the two series
 * 200 and 300). The per-object `readings` forms, far from their goals, keep fewer.
 */
const requests = (share: number): number => Math.max(20, Math.round(ITERATIONS * share));
/** `BENCH_QUERIES=latest100,rawDaySeries`: only those (default: every query). */
const ONLY = process.env.BENCH_QUERIES ? new Set(process.env.BENCH_QUERIES.split(',')) : null;

async function main(): Promise<void> {
  // before anything starts: the machine's speed, to compare runs on different VMs
  const calibration = calibrationMs();
  const run = crypto.randomBytes(3).toString('hex');
  const base = loadConfig();
  const databaseUrl = base.DATABASE_URL.replace(/\/[^/]+$/, `/cypernex_bench_query_${run}`);
  const ports = Object.fromEntries(
    await Promise.all(['GATEWAY_PORT', 'TENANCY_PORT', 'FLEET_PORT', 'TELEMETRY_PORT', 'DEVICE_PORT', 'INGEST_PORT', 'AUTH_PORT'].map(async (n) => [n, await freePort()] as const)),
  );
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...Object.fromEntries(Object.entries(ports).map(([n, p]) => [n, String(p)])),
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: `bench:${run}:`,
    AUTH_ISSUER: `http://127.0.0.1:${ports.AUTH_PORT}`,
    TENANCY_URL: `http://127.0.0.1:${ports.TENANCY_PORT}/graphql`,
    FLEET_URL: `http://127.0.0.1:${ports.FLEET_PORT}/graphql`,
    TELEMETRY_URL: `http://127.0.0.1:${ports.TELEMETRY_PORT}/graphql`,
    DEVICE_URL: `http://127.0.0.1:${ports.DEVICE_PORT}/graphql`,
    LOG_LEVEL: 'warn',
    // every request is still costed and counted, but a long run must not spend the
    // per-minute budget of one client (the defender would then block it)
    RATE_LIMIT_PRINCIPAL: process.env.RATE_LIMIT_PRINCIPAL ?? '1000000000',
    RATE_LIMIT_TENANT: process.env.RATE_LIMIT_TENANT ?? '1000000000',
    // a group and a short session of its own on the machine's broker: a persistent member of
    // group `ingest` left behind would be handed its share of a development worker's messages
    INGEST_GROUP: `bench-${run}`,
    INGEST_SESSION_EXPIRY_SECONDS: '60',
  };
  await migrate(databaseUrl);
  const config = loadConfig(env);
  const pool = createPool(databaseUrl, { service: 'bench' });
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'bench' });
  const start = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'start.js')], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const cleanUp = cleanUpOnce(async () => {
    // a platform that has already ended (ESRCH) leaves nothing to stop, not a reason to keep the database
    if (start.pid) {
      try {
        process.kill(-start.pid, 'SIGTERM');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    redis.disconnect();
    await pool.end();
    await dropDatabase(databaseUrl);
    await dropKeysWithPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  });
  try {
    const tenant = await createTenant(pool, operatorScope, { name: 'Bench utility', region: 'au' });
    const devices = await registerDevicesWithKeys(pool, config.masterKey, {
      tenantId: tenant.id,
      model: 'WW-6M',
      serials: Array.from({ length: 100 }, (_, i) => `BQ-${run}-${i}`),
      channels: 6,
    });
    const now = Math.floor(Date.now() / 1000);
    await recordLatest(
      redis,
      devices.map((d) => ({ deviceId: d.id, tenantId: tenant.id, receivedAt: new Date(), timestamp: now, payload: Buffer.from(JSON.stringify({ v: 1, deviceId: d.id, ...sampleValues(now) })) })),
    );
    const dayStart = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
    await seedDay(pool, devices[0]!.id, tenant.id, dayStart);
    const yearStart = new Date(dayStart.getTime() - 365 * 86_400_000);
    await seedYearOfHours(pool, devices[0]!.id, tenant.id, yearStart);
    const client = await createClient(pool, config.masterKey, { tenantId: tenant.id, name: 'bench', grant: 'client_credentials', scopes: ['fleet:read', 'telemetry:read'] });

    progress('data seeded; waiting for the platform');
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/readyz`)).ok, 'the platform', 90_000);
    const token = await accessToken(config.AUTH_ISSUER, client.clientId, client.clientSecret!);
    const gateway: Target = { url: `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, token, platformCpuMs: () => groupCpuMs(start.pid!) };
    const results = {
      latest100: await only('latest100', () => measure(gateway, '{ devices(first: 100) { edges { node { id latestReading { timestamp channels { powerW } } } } } }', {}, (data) => count(data, 'latestReading') === 100, requests(5))),
      rawDay: await only('rawDay', () => measure(
        gateway,
        'query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { readings(from: $from, to: $to) { timestamp duration channels { eReal powerW vRMS iRMS } } } }',
        { id: devices[0]!.id, from: dayStart.toISOString(), to: new Date(dayStart.getTime() + 86_400_000).toISOString() },
        (data) => (data as { device: { readings: unknown[] } }).device.readings.length === 17_280,
        requests(1 / 4),
      )),
      // The same day with one field per channel: how the cost scales with the fields asked for.
      rawDayLight: await only('rawDayLight', () => measure(
        gateway,
        'query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { readings(from: $from, to: $to) { timestamp channels { powerW } } } }',
        { id: devices[0]!.id, from: dayStart.toISOString(), to: new Date(dayStart.getTime() + 86_400_000).toISOString() },
        (data) => (data as { device: { readings: unknown[] } }).device.readings.length === 17_280,
        requests(1 / 4),
      )),
      hourYear: await only('hourYear', () => measure(
        gateway,
        'query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { readings(from: $from, to: $to, granularity: HOUR) { timestamp duration channels { eReal powerW } } } }',
        { id: devices[0]!.id, from: yearStart.toISOString(), to: dayStart.toISOString() },
        (data) => (data as { device: { readings: unknown[] } }).device.readings.length === 365 * 24,
        requests(1 / 2),
      )),
      // The same two windows as columns (Device.readingSeries): one leaf value per column.
      rawDaySeries: await only('rawDaySeries', () => measure(
        gateway,
        'query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { readingSeries(from: $from, to: $to) { timestamps durations channels { eReal powerW vRMS iRMS } } } }',
        { id: devices[0]!.id, from: dayStart.toISOString(), to: new Date(dayStart.getTime() + 86_400_000).toISOString() },
        (data) => seriesLength(data) === 17_280,
        requests(1),
      )),
      hourYearSeries: await only('hourYearSeries', () => measure(
        gateway,
        'query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { readingSeries(from: $from, to: $to, granularity: HOUR) { timestamps durations channels { eReal powerW } } } }',
        { id: devices[0]!.id, from: yearStart.toISOString(), to: dayStart.toISOString() },
        (data) => seriesLength(data) === 365 * 24,
        requests(3 / 2),
      )),
    };
    const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, load: os.loadavg().map((l) => +l.toFixed(2)), calibrationMs: calibration };
    console.log(JSON.stringify({ benchmark: 'query', machine, goalsMs: { latest100P99: 30, rawDayP99: 150, hourYearP99: 100, rawDaySeriesP99: 150, hourYearSeriesP99: 100 }, results }));
  } finally {
    await cleanUp();
  }
}

const only = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => (ONLY && !ONLY.has(name) ? undefined : run());

const progress = (line: string) => process.stderr.write(`bench:query: ${line}\n`);

function sampleValues(timestamp: number) {
  return { timestamp, duration: 5, frequency: 50, eReal: [1150, 2, 38, -560, 37, -14], eReactive: [-857, -19, -364, 61, 45, -4], vRMS: [244.9, 244.8, 244.8, 244.9, 244.8, 244.8], iRMS: [1.259, 0.028, 0.31, 2.1, 0.15, 0.06] };
}

async function accessToken(issuer: string, id: string, secret: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'fleet:read telemetry:read' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`bench: no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

const seriesLength = (data: unknown) => (data as { device: { readingSeries: { timestamps: unknown[] } } }).device.readingSeries.timestamps.length;

const count = (data: unknown, field: string) => (JSON.stringify(data).match(new RegExp(`"${field}":\\{`, 'g')) ?? []).length;

interface Target {
  url: string;
  token: string;
  /** CPU time used so far by the platform's processes (gateway, subgraphs, issuer, worker). */
  platformCpuMs: () => number;
}

async function measure({ url, token, platformCpuMs }: Target, query: string, variables: object, check: (data: unknown) => boolean, iterations: number) {
  const once = async () => {
    const started = process.hrtime.bigint();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (body.errors || !check(body.data)) throw new Error(`bench: unexpected answer: ${JSON.stringify(body).slice(0, 500)}`);
    return ms;
  };
  progress(`measuring ${iterations} x ${query.slice(0, 60)}...`);
  for (let i = 0; i < 5; i += 1) await once();
  const samples: number[] = [];
  const cpuBefore = platformCpuMs();
  for (let i = 0; i < iterations; i += 1) samples.push(await once());
  const platformCpuMsPerRequest = +((platformCpuMs() - cpuBefore) / iterations).toFixed(1);
  samples.sort((a, b) => a - b);
  const at = (q: number) => +samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  return { iterations, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: +samples[samples.length - 1]!.toFixed(1), platformCpuMsPerRequest };
}

main().catch((error: unknown) => {
  console.error(`bench:query: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
