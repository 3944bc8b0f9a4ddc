import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from '../../auth/clients.store';
import { loadConfig } from '../../lib/config';
import { ContextTokens } from '../../lib/context-token';
import { migrate } from '../../lib/migrate';
import { fromRoot } from '../../lib/paths';
import { createPool, dropDatabase } from '../../lib/postgres';
import { operatorScope } from '../../lib/tenant-scope';
import { committedSupergraph, forGatewayRuntime } from '../../gateway/supergraph';
import { setClientLimits } from '../../gateway/security.store';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { createTenant } from '../../subgraphs/tenancy/store';
import { freePort, waitUntil } from '../ingest/processes';
import { processTreeCpuMs } from '../query/process-cpu';
import { cleanUpOnce } from '../clean-up';

/** The queries, each through the gateways and the closest subgraph-only equivalent for (d). */
const QUERIES = {
  me: { gateway: '{ me { subject tenant { id name } } }', subgraph: 'tenancy', direct: '{ me { subject tenant { id name } } }' },
  devices50: {
    gateway: '{ devices(first: 50) { edges { node { id serial tenant { id name } latestReading { timestamp } } } } }',
    subgraph: 'fleet',
    direct: '{ devices(first: 50) { edges { node { id serial tenant { id } } } } }',
  },
  deep: {
    gateway: '{ me { tenant { children { devices(first: 5) { edges { node { tenant { name } } } } } } } }',
    subgraph: 'tenancy',
    direct: '{ me { tenant { children { children { id name } } } } }',
  },
} as const;

/**
 * `node bin/build.cjs && node dist/bench/gateway/run.js [--seconds 10] [--connections 20]`:
 * issuer, tenancy/fleet/telemetry subgraphs and four targets, each its own process, on a
 * throwaway database: (a) our gateway with every protection on (also with 2 workers, and
 * without in-flight sharing), (b) plain @apollo/gateway, (c) @graphql-hive/gateway (also
 * without in-flight sharing), (d) the subgraph directly.
 * Prints the machine, a table, and one JSON line last.
 */
const ratio = (a?: { rps: number }, b?: { rps: number }) => +((a?.rps ?? NaN) / (b?.rps ?? NaN)).toFixed(2);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      only: { type: 'string' },
      queries: { type: 'string' },
      // Writes a V8 CPU profile of one of our gateways into this directory (open it in Chrome DevTools).
      profile: { type: 'string' },
      'profile-target': { type: 'string', default: 'a-ours-no-sharing' },
      // Moderate load for the added-latency goal: this many requests per second in total (0: skip).
      rate: { type: 'string', default: '50' },
      // Which measurements: `throughput` (as fast as the connections go), `moderate` (fixed rate).
      phases: { type: 'string', default: 'throughput,moderate' },
    },
  });
  const only = values.only?.split(',');
  const queryNames = (values.queries?.split(',') ?? Object.keys(QUERIES)).filter((name): name is keyof typeof QUERIES => name in QUERIES);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const base = loadConfig();
  const url = new URL(base.DATABASE_URL);
  url.pathname = `/cypernex_bench_${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url.toString(),
    REDIS_KEY_PREFIX: `cpxbench:${Date.now().toString(36)}:`,
    CYPERNEX_MASTER_KEY: base.masterKey.toString('base64url'),
    CYPERNEX_ENV: 'development',
    LOG_LEVEL: 'warn',
    CONTEXT_TOKEN_TTL: '300',
  };
  const config = loadConfig(env);
  const log = (line: string) => console.error(`bench: ${line}`);
  const children: ChildProcess[] = [];
  const start = (file: string, extra: NodeJS.ProcessEnv, flags: string[] = []) => {
    const child = spawn(process.execPath, [...flags, fromRoot(file)], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const pool = createPool(config.DATABASE_URL, { service: 'bench', max: 2 });
  const cleanUp = cleanUpOnce(async () => {
    for (const child of children) child.kill('SIGTERM');
    await pool.end();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await dropDatabase(config.DATABASE_URL).catch(() => undefined);
  });
  try {
    await migrate(config.DATABASE_URL);
    const root = await createTenant(pool, operatorScope, { name: 'Bench root', region: 'au', parentId: null });
    const tenants = [root];
    for (let i = 0; i < 4; i += 1) tenants.push(await createTenant(pool, operatorScope, { name: `Bench child ${i}`, parentId: root.id }));
    for (const [i, tenant] of tenants.entries()) {
      const serials = Array.from({ length: 10 }, (_, n) => `bench-${i}-${n}`);
      await registerDevicesWithKeys(pool, config.masterKey, { tenantId: tenant.id, model: 'WW-6M', serials, channels: 6 });
    }
    const scopes = ['tenancy:read', 'fleet:read', 'telemetry:read'];
    const client = await createClient(pool, config.masterKey, { tenantId: root.id, name: 'bench', grant: 'client_credentials', scopes, control: false });
    await setClientLimits(pool, client.clientId, { principalLimit: 1_000_000_000, tenantLimit: 1_000_000_000 });

    const ports = { auth: await freePort(), tenancy: await freePort(), fleet: await freePort(), telemetry: await freePort(), device: await freePort() };
    const issuer = `http://127.0.0.1:${ports.auth}`;
    const urls = {
      TENANCY_URL: `http://127.0.0.1:${ports.tenancy}/graphql`,
      FLEET_URL: `http://127.0.0.1:${ports.fleet}/graphql`,
      TELEMETRY_URL: `http://127.0.0.1:${ports.telemetry}/graphql`,
      DEVICE_URL: `http://127.0.0.1:${ports.device}/graphql`,
    };
    const shared = { AUTH_ISSUER: issuer, AUTH_PORT: String(ports.auth), ...urls };
    start('dist/auth/main.js', shared);
    start('dist/subgraphs/tenancy/main.js', { ...shared, TENANCY_PORT: String(ports.tenancy) });
    start('dist/subgraphs/fleet/main.js', { ...shared, FLEET_PORT: String(ports.fleet) });
    start('dist/subgraphs/telemetry/main.js', { ...shared, TELEMETRY_PORT: String(ports.telemetry) });
    for (const name of ['tenancy', 'fleet', 'telemetry'] as const) {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${ports[name]}/healthz`)).ok, `the ${name} subgraph`, 30_000);
    }
    await waitUntil(async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok, 'the issuer', 30_000);

    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') });
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    const tokenResponse = (await (await fetch(`${issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` }, body: form })).json()) as { access_token: string };
    const contextToken = await new ContextTokens(config.masterKey, 300).sign({ subject: client.clientId, clientId: client.clientId, tenantId: root.id, principalType: 'client', scopes });

    let supergraph = forGatewayRuntime(committedSupergraph());
    for (const [name, port] of Object.entries(ports)) {
      supergraph = supergraph.replace(new RegExp(`(name: "${name}", url: ")[^"]*"`), `$1http://127.0.0.1:${port}/graphql"`);
    }

    const targets: Record<string, { url: (query: keyof typeof QUERIES) => string; headers: Record<string, string>; pid?: number }> = {};
    const bearer = { authorization: `Bearer ${tokenResponse.access_token}` };
    // Every connection sends the same request with the same token, so identical reads overlap
    // all the time: both our gateway and Hive share them by default (one subgraph call for
    // many client requests), which callers with different identities never get. The
    // `-no-sharing` targets measure that case.
    const ours = [
      ['a-ours', { GATEWAY_WORKERS: '1' }],
      ['a-ours-no-sharing', { GATEWAY_WORKERS: '1', SUBGRAPH_DEDUPE_INFLIGHT: '0' }],
      ['a-ours-2-workers', { GATEWAY_WORKERS: '2' }],
    ] as const;
    for (const [name, extra] of ours) {
      const port = await freePort();
      const child = start('dist/gateway/main.js', { ...shared, GATEWAY_PORT: String(port), ...extra }, values.profile && name === values['profile-target'] ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []);
      targets[name] = { url: () => `http://127.0.0.1:${port}/graphql`, headers: bearer, pid: child.pid };
    }
    const baselines = [
      ['b-plain-apollo', { KIND: 'apollo' }],
      ['c-hive', { KIND: 'hive' }],
      ['c-hive-no-sharing', { KIND: 'hive', SHARING: '0' }],
    ] as const;
    for (const [name, extra] of baselines) {
      const port = await freePort();
      const child = start('dist/bench/gateway/serve-baseline.js', { ...extra, PORT: String(port), SUPERGRAPH: supergraph, CONTEXT_TOKEN: contextToken });
      targets[name] = { url: () => `http://127.0.0.1:${port}/graphql`, headers: {}, pid: child.pid };
    }
    targets['d-subgraph'] = { url: (query) => urls[QUERIES[query].subgraph === 'fleet' ? 'FLEET_URL' : 'TENANCY_URL'], headers: { 'x-cypernex-context': contextToken } };

    // The gateway process's own CPU per request: unlike throughput it hardly depends on what
    // else the two cores run (the load generator, the subgraphs, the databases).
    const results: Record<string, Record<string, { rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest?: number }>> = {};
    // What one target is sent for one query: (d) gets the subgraph-only equivalent.
    const requestOf = (name: string, query: keyof typeof QUERIES) => ({
      url: targets[name]!.url(query),
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', ...targets[name]!.headers },
      body: JSON.stringify({ query: name === 'd-subgraph' ? QUERIES[query].direct : QUERIES[query].gateway }),
    });
    const phases = values.phases.split(',');
    for (const query of phases.includes('throughput') ? queryNames : []) {
      results[query] = {};
      for (const [name, target] of Object.entries(targets)) {
        if (only && !only.includes(name)) continue;
        const request = requestOf(name, query);
        await waitUntil(async () => {
          const response = await fetch(request.url, request);
          const json = (await response.json()) as { errors?: unknown[] };
          if (json.errors) log(`${name} ${query}: ${JSON.stringify(json.errors).slice(0, 300)}`);
          return response.ok && !json.errors;
        }, `${name} to answer ${query}`, 30_000);
        await autocannon({ ...request, connections, duration: 2 });
        const cpuBefore = target.pid ? processTreeCpuMs(target.pid) : Number.NaN;
        const run = await autocannon({ ...request, connections, duration: seconds });
        const cpuMsPerRequest = target.pid ? +((processTreeCpuMs(target.pid) - cpuBefore) / run.requests.total).toFixed(3) : undefined;
        results[query][name] = { rps: Math.round(run.requests.average), p50: run.latency.p50, p99: run.latency.p99, errors: run.errors + run.non2xx, cpuMsPerRequest };
        const cpu = cpuMsPerRequest === undefined ? '' : `  cpu ${cpuMsPerRequest} ms/req`;
        log(`${query.padEnd(10)} ${name.padEnd(18)} ${String(results[query][name].rps).padStart(6)} req/s  p50 ${run.latency.p50} ms  p99 ${run.latency.p99} ms  errors ${results[query][name].errors}${cpu}`);
      }
    }
    // Added latency at moderate load: a fixed request rate instead of as fast as possible.
    const rate = Number(values.rate);
    const moderate: Record<string, Record<string, { p50: number; p90: number; p99: number; addedP99: number }>> = {};
    // One connection: each request's own path, not queueing behind a burst of others.
    for (const query of phases.includes('moderate') && rate > 0 ? queryNames : []) {
      const latency: Record<string, { p50: number; p90: number; p99: number }> = {};
      for (const name of ['d-subgraph', 'a-ours', 'a-ours-no-sharing']) {
        if (!targets[name] || (only && !only.includes(name))) continue;
        const request = requestOf(name, query);
        await autocannon({ ...request, connections: 1, overallRate: rate, duration: 3 });
        const run = await autocannon({ ...request, connections: 1, overallRate: rate, duration: seconds });
        latency[name] = { p50: run.latency.p50, p90: run.latency.p90, p99: run.latency.p99 };
      }
      const direct = latency['d-subgraph']?.p99 ?? NaN;
      moderate[query] = Object.fromEntries(Object.entries(latency).map(([name, l]) => [name, { ...l, addedP99: l.p99 - direct }]));
      for (const [name, l] of Object.entries(moderate[query])) {
        log(`${query.padEnd(10)} ${name.padEnd(18)} at ${rate} req/s: p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  added p99 over d ${l.addedP99} ms`);
      }
    }
    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
    console.log(`machine: ${JSON.stringify(machine)}`);
    const ratios = Object.fromEntries(
      Object.entries(results).map(([query, r]) => [
        query,
        {
          oursOverPlain: ratio(r['a-ours'], r['b-plain-apollo']),
          oursOverHive: ratio(r['a-ours'], r['c-hive']),
          oursNoSharingOverPlain: ratio(r['a-ours-no-sharing'], r['b-plain-apollo']),
          oursNoSharingOverHiveNoSharing: ratio(r['a-ours-no-sharing'], r['c-hive-no-sharing']),
        },
      ]),
    );
    console.log(JSON.stringify({ connections, seconds, machine, results, ratios, moderate: { rate, connections: 1, latency: moderate } }));
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
