// type-graphql reads decorator metadata while the subgraph modules load.
import 'reflect-metadata';
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createClient } from '../../auth/clients.store';
import { createProvider } from '../../auth/provider';
import { createGateway } from '../../gateway/create-gateway';
import { loadConfig } from '../../lib/config';
import { closeServer, listen } from '../../lib/http';
import { createLogger } from '../../lib/logger';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase } from '../../lib/postgres';
import { createRedis, dropKeysWithPrefix } from '../../lib/redis';
import { operatorScope } from '../../lib/tenant-scope';
import { createDeviceSubgraph } from '../../subgraphs/device';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { startMaintenanceResponder } from '../../subgraphs/device/simulator/maintenance-responder';
import { createFleetSubgraph } from '../../subgraphs/fleet';
import type { SubgraphServer } from '../../subgraphs/serve-subgraph';
import { createTelemetrySubgraph } from '../../subgraphs/telemetry';
import { createTenancySubgraph } from '../../subgraphs/tenancy';
import { createTenant } from '../../subgraphs/tenancy/store';
import { cleanUpOnce } from '../clean-up';

const MUTATION = 'mutation ($d: ID!, $s: Int!) { setReportingInterval(deviceId: $d, seconds: $s) { id status } }';

/**
 * `npm run bench:commands -- --devices 200 --seconds 30 --concurrency 32`: issuer, the four
 * subgraphs and the gateway in this process, the broker and PostgreSQL on this machine,
 * simulated devices answering over MQTT. Each client loop sends setReportingInterval through
 * the gateway and waits until the command is APPLIED in the database (the round trip:
 * gateway, subgraph, broker, device, signed answer, result consumer). Throwaway database;
 * prints one JSON line last.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { devices: { type: 'string', default: '200' }, seconds: { type: 'string', default: '30' }, concurrency: { type: 'string', default: '32' } } });
  const [deviceCount, seconds, concurrency] = [Number(values.devices), Number(values.seconds), Number(values.concurrency)];
  const base = loadConfig();
  const url = new URL(base.DATABASE_URL);
  url.pathname = `/cypernex_bench_${Date.now().toString(36)}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), REDIS_KEY_PREFIX: `cpxbench:${Date.now().toString(36)}:`, CYPERNEX_MASTER_KEY: base.masterKey.toString('base64url'), LOG_LEVEL: 'warn', COMMAND_TTL: '60', PG_POOL_SIZE: '20' };
  const log = (line: string) => console.error(`bench: ${line}`);
  await migrate(url.toString());
  let config = loadConfig(env);
  const logger = createLogger('bench', 'warn');
  const pool = createPool(config.DATABASE_URL, { service: 'bench', max: 20 });
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'bench' });
  const servers: SubgraphServer[] = [];
  const clients: MqttClient[] = [];
  const cleanUp = cleanUpOnce(async () => {
    for (const connection of clients) await connection.endAsync();
    for (const server of servers) await server.close();
    redis.disconnect();
    await pool.end();
    await dropDatabase(url.toString());
    await dropKeysWithPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  });
  try {
    const tenant = await createTenant(pool, operatorScope, { name: 'bench', region: `bn${crypto.randomBytes(3).toString('hex')}`, parentId: null });
    const devices = await registerDevicesWithKeys(pool, config.masterKey, { tenantId: tenant.id, model: 'WW-6M', serials: Array.from({ length: deviceCount }, (_, i) => `B-${i}`), channels: 6 });
    const client = await createClient(pool, config.masterKey, { tenantId: tenant.id, name: 'bench', grant: 'client_credentials', scopes: ['device:control'], control: true });

    const issuerServer = http.createServer();
    const issuerUrl = `http://127.0.0.1:${await listen(issuerServer, 0, '127.0.0.1')}`;
    const issuer = await createProvider({ config, pool, redis, logger, issuer: issuerUrl });
    issuerServer.on('request', issuer.handler);
    const urls: Record<string, string> = { AUTH_ISSUER: issuerUrl };
    for (const [key, create] of [['TENANCY_URL', createTenancySubgraph], ['FLEET_URL', createFleetSubgraph], ['TELEMETRY_URL', createTelemetrySubgraph], ['DEVICE_URL', createDeviceSubgraph]] as const) {
      const server = await create({ config, pool, logger });
      servers.push(server);
      urls[key] = `http://127.0.0.1:${await listen(server.server, 0, '127.0.0.1')}/graphql`;
    }
    config = loadConfig({ ...env, ...urls });
    const gateway = await createGateway({ config, redis, pool, logger });
    const gatewayUrl = `http://127.0.0.1:${await listen(gateway.server, 0, '127.0.0.1')}/graphql`;

    for (let i = 0; i < 4; i += 1) {
      const connection = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: `bench-dev-${i}-${crypto.randomBytes(3).toString('hex')}`, clean: true });
      clients.push(connection);
      await startMaintenanceResponder(
        connection,
        devices.filter((_, n) => n % 4 === i).map((d) => ({ deviceId: d.id, region: d.region, maintenanceKey: Buffer.from(d.maintenanceKey, 'base64url') })),
      );
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'device:control' });
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    const tokenResponse = (await (await fetch(`${issuerUrl}/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` }, body: form })).json()) as { access_token: string };
    const token = tokenResponse.access_token;

    // one poller for every waiting command: the round trip ends when APPLIED is committed
    const waiting = new Map<string, () => void>();
    const poller = setInterval(() => {
      if (waiting.size === 0) return;
      void pool.query<{ id: string }>("select id from device.commands where id = any($1::uuid[]) and status = 'APPLIED'", [[...waiting.keys()]]).then(({ rows }) => {
        for (const { id } of rows) waiting.get(id)?.();
      });
    }, 20);
    const latencies: number[] = [];
    const mutationMs: number[] = [];
    let failures = 0;
    const deadline = Date.now() + seconds * 1000;
    log(`${deviceCount} devices, ${concurrency} concurrent clients, ${seconds} s`);
    const loop = async () => {
      while (Date.now() < deadline) {
        const device = devices[Math.floor(Math.random() * devices.length)]!;
        const started = performance.now();
        const response = await fetch(gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: MUTATION, variables: { d: device.id, s: 5 + Math.floor(Math.random() * 295) } }),
        });
        const body = (await response.json()) as { data?: { setReportingInterval?: { id: string } }; errors?: unknown[] };
        const id = body.data?.setReportingInterval?.id;
        if (!id) {
          failures += 1;
          continue;
        }
        mutationMs.push(performance.now() - started);
        await new Promise<void>((resolve) => waiting.set(id, resolve));
        waiting.delete(id);
        latencies.push(performance.now() - started);
      }
    };
    const began = Date.now();
    await Promise.all(Array.from({ length: concurrency }, loop));
    const elapsed = (Date.now() - began) / 1000;
    clearInterval(poller);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
    const result = {
      commands: latencies.length,
      failures,
      commandsPerSecond: Math.round(latencies.length / elapsed),
      mutationMsP50: Math.round(mutationMs.sort((a, b) => a - b)[Math.floor(mutationMs.length / 2)] ?? 0),
      roundTripMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: Math.round(latencies.at(-1) ?? 0) },
      devices: deviceCount,
      concurrency,
      seconds: Math.round(elapsed),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    };
    await gateway.close();
    await issuer.close();
    await closeServer(issuerServer);
    console.log(JSON.stringify(result));
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
