import 'reflect-metadata';
import crypto from 'node:crypto';
import os from 'node:os';
// before @apollo/gateway loads, as in the gateway (see the module)
import '../../gateway/federation-internals';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { execute, parse, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../lib/config';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase, statementCount } from '../../lib/postgres';
import { ResolvedScope, operatorScope, tenantsScope } from '../../lib/tenant-scope';
import type { Principal } from '../../lib/principal';
import { committedSupergraph, forGatewayRuntime } from '../../gateway/supergraph';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { createTenant } from '../../subgraphs/tenancy/store';
import { buildTelemetrySchema } from '../../subgraphs/telemetry';
import { createTelemetryLoaders, type DatasetLinkSigner } from '../../subgraphs/telemetry/loaders';
import { readings } from '../../subgraphs/telemetry/store-read';
import { optionalColumns } from '../../subgraphs/telemetry/reading';
import { readingSeries } from '../../subgraphs/telemetry/store-series';
import { seedDay, seedYearOfHours } from './data';
import { cleanUpOnce } from '../clean-up';

/**
 * `node dist/bench/query/stages.js`: where the time of `bench:query`'s big queries goes,
 * stage by stage, in one process (no HTTP): the telemetry store read, the subgraph's execution
 * on graphql-js and compiled, JSON in and out, and @apollo/gateway's own work on the answer
 * (fed canned subgraph answers). CPU milliseconds per stage, which other load on the machine
 * inflates less than wall time.
 */
const ROUNDS = Number(process.env.BENCH_ITERATIONS ?? 8);
const RAW_SHAPE = 'timestamp duration channels { eReal powerW vRMS iRMS }';
const HOUR_SHAPE = 'timestamp duration channels { eReal powerW }';
const RAW_SERIES_SHAPE = 'timestamps durations channels { eReal powerW vRMS iRMS }';
const HOUR_SERIES_SHAPE = 'timestamps durations channels { eReal powerW }';
type Field = 'readings' | 'readingSeries';

async function main(): Promise<void> {
  const base = loadConfig();
  const databaseUrl = base.DATABASE_URL.replace(/\/[^/]+$/, `/cypernex_bench_stages_${crypto.randomBytes(3).toString('hex')}`);
  await migrate(databaseUrl);
  const pool = createPool(databaseUrl, { service: 'bench' });
  const cleanUp = cleanUpOnce(async () => {
    await pool.end();
    await dropDatabase(databaseUrl);
  });
  try {
    const tenant = await createTenant(pool, operatorScope, { name: 'Bench utility', region: 'au' });
    const [device] = await registerDevicesWithKeys(pool, base.masterKey, { tenantId: tenant.id, model: 'WW-6M', serials: ['BS-1'], channels: 6 });
    const dayStart = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
    const yearStart = new Date(dayStart.getTime() - 365 * 86_400_000);
    await seedDay(pool, device!.id, tenant.id, dayStart);
    await seedYearOfHours(pool, device!.id, tenant.id, yearStart);
    const scope = tenantsScope([tenant.id]);
    const principal: Principal = { subject: 'bench', clientId: null, tenantId: tenant.id, principalType: 'client', scopes: ['telemetry:read'] };
    const resolved = new ResolvedScope(principal, [{ tenantId: tenant.id, grantScopes: null }]);
    const schema = await buildTelemetrySchema();
    let telemetryAnswer = '';
    // Each subgraph call answers at once: the telemetry answer is parsed anew, as the gateway's data source would.
    const canned = {
      process: async ({ request }: { request: { query?: string } }) =>
        request.query?.includes('_entities') ? JSON.parse(telemetryAnswer) : { data: { device: { __typename: 'Device', id: device!.id } } },
    };
    const gateway = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: forGatewayRuntime(committedSupergraph()), buildService: () => canned }) });
    await gateway.start();

    const stages = async (name: string, from: Date, to: Date, granularity: 'RAW' | 'HOUR', shape: string, field: Field = 'readings') => {
      // The optional columns the resolver would read for this shape (store-series.ts).
      const columns = optionalColumns.filter((column) => new RegExp(`\\b${column}\\b`).test(shape));
      const read = () =>
        field === 'readings' ? readings(pool, scope, [device!.id], from, to, granularity) : readingSeries(pool, scope, [device!.id], from, to, granularity, columns);
      const rows = (await read()).get(device!.id)!;
      const document = parse(
        `query ($representations: [_Any!]!, $from: DateTime!, $to: DateTime!, $granularity: Granularity) { _entities(representations: $representations) { ... on Device { ${field}(from: $from, to: $to, granularity: $granularity) { ${shape} } } } }`,
      );
      const variables = { representations: [{ __typename: 'Device', id: device!.id }], from: from.toISOString(), to: to.toISOString(), granularity };
      // The store read is measured on its own: here every execution gets the rows from a primed loader.
      const context = () => {
        const loaders = createTelemetryLoaders({ pool, principal, scope: async () => resolved }, null as unknown as Redis, null as unknown as DatasetLinkSigner);
        const key = { deviceId: device!.id, from, to, granularity };
        if (Array.isArray(rows)) loaders.readings.prime(key, rows);
        else loaders.readingSeries.prime({ ...key, columns }, rows);
        return { principal, scope: async () => resolved, pool, requestId: 'bench', loaders };
      };
      const compiled = compileQuery(schema, document);
      if (!isCompiledQuery(compiled)) throw new Error('bench: graphql-jit refused the query');
      const statementsBefore = statementCount();
      const result = await execute({ schema, document, variableValues: variables, contextValue: context() });
      if (statementCount() !== statementsBefore) throw new Error('bench: the primed loader missed; execution read the database');
      telemetryAnswer = JSON.stringify(result);
      const clientQuery = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: Granularity) { device(id: $id) { ${field}(from: $from, to: $to, granularity: $granularity) { ${shape} } } }`;
      const shaped = await gateway.executeOperation({ query: clientQuery, variables: { id: device!.id, ...variables } });
      const final = shaped.body.kind === 'single' ? (shaped.body.singleResult as ExecutionResult) : null;
      if (!final || final.errors) throw new Error(`bench: gateway answer: ${JSON.stringify(final?.errors)}`);
      return {
        query: name,
        shape,
        readings: Array.isArray(rows) ? rows.length : rows.timestamps.length,
        subgraphAnswerBytes: telemetryAnswer.length,
        cpuMs: {
          storeRead: await cpu(read),
          executeGraphqlJs: await cpu(async () => execute({ schema, document, variableValues: variables, contextValue: context() })),
          executeCompiled: await cpu(async () => compiled.query(undefined, context(), variables)),
          subgraphStringify: await cpu(async () => JSON.stringify(result)),
          gatewayParse: await cpu(async () => JSON.parse(telemetryAnswer)),
          gatewayParseMergeShape: await cpu(() => gateway.executeOperation({ query: clientQuery, variables: { id: device!.id, ...variables } })),
          gatewayStringify: await cpu(async () => JSON.stringify(final)),
        },
      };
    };
    const rawDay = await stages('rawDay', dayStart, new Date(dayStart.getTime() + 86_400_000), 'RAW', RAW_SHAPE);
    const rawDayLight = await stages('rawDay', dayStart, new Date(dayStart.getTime() + 86_400_000), 'RAW', 'timestamp channels { powerW }');
    const hourYear = await stages('hourYear', yearStart, dayStart, 'HOUR', HOUR_SHAPE);
    const rawDaySeries = await stages('rawDaySeries', dayStart, new Date(dayStart.getTime() + 86_400_000), 'RAW', RAW_SERIES_SHAPE, 'readingSeries');
    const hourYearSeries = await stages('hourYearSeries', yearStart, dayStart, 'HOUR', HOUR_SERIES_SHAPE, 'readingSeries');
    await gateway.stop();
    const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, load: os.loadavg().map((l) => +l.toFixed(2)) };
    console.log(JSON.stringify({ benchmark: 'query-stages', machine, rounds: ROUNDS, stages: [rawDay, rawDayLight, hourYear, rawDaySeries, hourYearSeries] }));
  } finally {
    await cleanUp();
  }
}

/** Median CPU time (user + system) of ROUNDS runs after one warm-up run, in ms. */
async function cpu(work: () => Promise<unknown>): Promise<number> {
  await work();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const before = process.cpuUsage();
    await work();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return +samples[Math.floor(samples.length / 2)]!.toFixed(1);
}

main().catch((error: unknown) => {
  console.error(`bench:query stages: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
