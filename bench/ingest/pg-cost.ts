import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { loadConfig } from '../../lib/config';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase } from '../../lib/postgres';
import type { IncomingReading } from '../../subgraphs/telemetry/reading';
import { foldRollups, refreshRollups } from '../../subgraphs/telemetry/rollup-fold';
import { foldInto, PENDING_PARTS, PENDING_TABLE, type RollupGranularity } from '../../subgraphs/telemetry/rollups';
import { writeBatch } from '../../subgraphs/telemetry/store-write';
import { cpuSecondsOfAll, walState } from './processes';
import { cleanUpOnce } from '../clean-up';

/**
 * `node dist/bench/ingest/pg-cost.js [--devices 20000] [--batches 48] [--fold-every 24] [--staged] [--setup SQL]... [--fold-split]`:
 * PostgreSQL's CPU per reading for the ingestion writer and for the rollup fold, without
 * MQTT or the worker: batches of 5,000 fresh readings (6 channels, 100 tenants, devices in
 * turn, 5 s apart) go through `writeBatch`, and every `--fold-every` batches all pending
 * deltas are folded. With 20,000 devices and a fold every 24 batches each device has 6
 * readings per fold, as the worker's 30 s fold interval gives at 5 s readings. CPU is read
 * from /proc for every PostgreSQL process (so run it on an otherwise idle machine). A
 * throwaway database; prints one JSON line, with the cost of each fold period (`periods`:
 * it grows with the partition and its indexes) and the WAL written per reading.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '20000' },
      batches: { type: 'string', default: '48' },
      'fold-every': { type: 'string', default: '24' },
      // the path small batches take: staging table, ON CONFLICT, rollups upserted in the batch
      staged: { type: 'boolean', default: false },
      // run on the throwaway database after its migrations, for experiments: dropping an
      // index, `alter database current_database() ...`; the pool connects after it
      setup: { type: 'string', multiple: true, default: [] },
      // then one more fold period's deltas, folded into none, some and all of the rollups
      'fold-split': { type: 'boolean', default: false },
    },
  });
  const devices = Number(values.devices);
  const batches = Number(values.batches);
  const foldEvery = Number(values['fold-every']);
  const batchSize = 5000;
  const url = new URL(loadConfig().DATABASE_URL);
  url.pathname = `/cypernex_bench_pg_${Date.now().toString(36)}`;
  await migrate(url.toString());
  if (values.setup.length > 0) {
    const setup = createPool(url.toString(), { service: 'bench', max: 1 });
    for (const statement of values.setup) await setup.query(statement.replaceAll('current_database()', url.pathname.slice(1)));
    await setup.end();
  }
  const pool = createPool(url.toString(), { service: 'bench', max: 3 });
  const cleanUp = cleanUpOnce(async () => {
    await pool.end();
    await dropDatabase(url.toString());
  });
  try {
    await pool.query('select telemetry.ensure_partitions(current_date - 1, 3)');
    const tenants = Array.from({ length: 100 }, () => crypto.randomUUID());
    const payload = Buffer.alloc(280, 'x');
    const mac = crypto.randomBytes(32);
    let timestamp = Math.floor(Date.now() / 1000) - 3600;
    let cursor = 0;
    const values6 = (base: number) => Array.from({ length: 6 }, () => Math.round((base + Math.random() * 100) * 1000) / 1000);
    const batch = (): IncomingReading[] =>
      Array.from({ length: batchSize }, () => {
        const device = cursor % devices;
        cursor += 1;
        if (device === 0) timestamp += 5;
        return {
          deviceId: `D${String(device).padStart(12, '0')}`, tenantId: tenants[device % 100]!, region: 'bench', bootSeq: 1, seq: cursor, timestamp,
          duration: 5, frequency: 50.01, eReal: values6(100), eReactive: values6(-50), vRMS: values6(230), iRMS: values6(1),
          topic: 'bench', receivedAt: new Date(), payload, mac, fresh: true,
        };
      });
    for (let i = 0; i < 4; i += 1) await writeBatch(pool, batch(), [], { deferRollups: !values.staged });
    await foldRollups(pool);
    let write = 0;
    let fold = 0;
    const walBefore = await walState(pool);
    // one entry per fold period: how the cost moves as the day's partition and its indexes grow
    const periods: { readings: number; write: number; fold: number; walBytes: number; checkpoints: number }[] = [];
    let period = { write: 0, fold: 0, wal: walBefore, readings: 0 };
    let last: IncomingReading[] = [];
    for (let i = 0; i < batches; i += 1) {
      const readings = batch();
      last = readings;
      const before = cpuSecondsOfAll('postgres');
      await writeBatch(pool, readings, [], { deferRollups: !values.staged });
      const written = cpuSecondsOfAll('postgres');
      write += written - before;
      period.write += written - before;
      period.readings += readings.length;
      if (i % foldEvery === foldEvery - 1 || i === batches - 1) {
        await foldRollups(pool);
        const folded = cpuSecondsOfAll('postgres') - written;
        fold += folded;
        period.fold += folded;
        const wal = await walState(pool);
        periods.push({
          readings: period.readings,
          write: perReadingOf(period.write, period.readings),
          fold: perReadingOf(period.fold, period.readings),
          walBytes: Math.round(Number(wal.lsn - period.wal.lsn) / period.readings),
          checkpoints: wal.checkpoints - period.wal.checkpoints,
        });
        period = { write: 0, fold: 0, wal, readings: 0 };
      }
    }
    const readings = batchSize * batches;
    const walAfter = await walState(pool);
    // how many of the fold's FIVE_MINUTES updates were HOT (no index entry written): an index
    // on a column the update changes rules that out (the statistics reach the view within a second)
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { rows: updated } = await pool.query<{ updates: string; hot: string }>(
      "select n_tup_upd as updates, n_tup_hot_upd as hot from pg_stat_user_tables where schemaname = 'telemetry' and relname = 'rollups_five_minutes'",
    );
    const fiveMinutesUpdates = { updates: Number(updated[0]?.updates), hot: Number(updated[0]?.hot) };
    // HOUR and DAY of every bucket the run marked stale, recomputed as the worker does once
    // they are over (these are not over yet: a negative grace makes them due); with as many
    // readings per device as an hour holds (720 at 5 s) this is the recompute's real share
    // the replay look-up of a batch of readings not above their devices' marks (as after a
    // worker restart, when the broker redelivers what was not acknowledged): the last batch
    // again, folded and its hours marked stale; then a new batch, parked; both again below
    const lookUp: Record<string, { milliseconds: number; microsecondsPerReading: number; duplicates: number }> = {};
    const again = (readings: IncomingReading[]) => readings.map((reading) => ({ ...reading, fresh: false }));
    const priceLookUp = async (name: string, readings: IncomingReading[]) => {
      const [cpu, started] = [cpuSecondsOfAll('postgres'), Date.now()];
      const outcomes = await writeBatch(pool, again(readings), [], { deferRollups: !values.staged, marks: new Map() });
      lookUp[name] = {
        milliseconds: Date.now() - started,
        microsecondsPerReading: perReadingOf(cpuSecondsOfAll('postgres') - cpu, readings.length),
        duplicates: outcomes.filter((outcome) => outcome === 'duplicate').length,
      };
    };
    await priceLookUp('foldedHourMarked', last);
    const parked = batch();
    await writeBatch(pool, parked, [], { deferRollups: !values.staged });
    await priceLookUp('parked', parked);
    await foldRollups(pool);
    const beforeRefresh = cpuSecondsOfAll('postgres');
    const refreshed = await refreshRollups(pool, { graceMs: -2 * 86_400_000, budgetMs: Number.POSITIVE_INFINITY });
    const refresh = { buckets: refreshed, microsecondsPerReading: perReadingOf(cpuSecondsOfAll('postgres') - beforeRefresh, readings) };
    await priceLookUp('foldedHourRecomputed', last);
    let foldSplit: Record<string, number> | undefined;
    if (values['fold-split']) {
      for (let i = 0; i < foldEvery; i += 1) await writeBatch(pool, batch(), [], { deferRollups: !values.staged });
      foldSplit = await priceFoldSplit(pool);
    }
    console.log(
      JSON.stringify({
        bench: 'ingest-pg-cost',
        devices,
        readings,
        foldEvery,
        readingsPerDevicePerFold: (foldEvery * batchSize) / devices,
        staged: values.staged,
        postgresCpuMicrosecondsPerReading: { write: perReadingOf(write, readings), fold: perReadingOf(fold, readings) },
        readingsPerDevice: readings / devices,
        refresh,
        fiveMinutesUpdates,
        lookUp,
        walBytesPerReading: Math.round(Number(walAfter.lsn - walBefore.lsn) / readings),
        checkpoints: walAfter.checkpoints - walBefore.checkpoints,
        sharedBuffers: walAfter.sharedBuffers,
        maxWalSize: walAfter.maxWalSize,
        setup: values.setup,
        periods,
        foldSplit,
      }),
    );
  } finally {
    await cleanUp();
  }
}

/**
 * PostgreSQL's CPU per reading for folding the parked deltas into none (delete and sum
 * only), FIVE_MINUTES, FIVE_MINUTES and HOUR, and all three rollups: the same deltas put
 * back before each (the rollups hold their buckets already, as in a running worker; their
 * sums are not checked). The median of three rounds.
 */
async function priceFoldSplit(pool: Pool): Promise<Record<string, number>> {
  await pool.query(`create table fold_split_deltas as select * from ${PENDING_TABLE}`);
  const variants: [string, RollupGranularity[]][] = [
    ['deleteAndSum', []],
    ['fiveMinutes', ['FIVE_MINUTES']],
    ['fiveMinutesAndHour', ['FIVE_MINUTES', 'HOUR']],
    ['all', ['FIVE_MINUTES', 'HOUR', 'DAY']],
  ];
  const rounds = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let round = 0; round < 3; round += 1) {
    for (const [name, granularities] of variants) {
      await pool.query(`truncate ${PENDING_TABLE}`);
      await pool.query(`insert into ${PENDING_TABLE} select * from fold_split_deltas`);
      await pool.query(`vacuum analyze ${PENDING_TABLE}`);
      const statement = foldInto(granularities);
      let cpu = 0;
      let folded = 0;
      for (let part = 0; part < PENDING_PARTS; part += 1) {
        const client = await pool.connect();
        try {
          const before = cpuSecondsOfAll('postgres');
          await client.query('begin');
          folded += (await client.query<{ folded: number }>(statement, [part])).rows[0]!.folded;
          await client.query('commit');
          cpu += cpuSecondsOfAll('postgres') - before;
        } finally {
          client.release();
        }
      }
      rounds.get(name)!.push(perReadingOf(cpu, folded));
    }
  }
  await pool.query('drop table fold_split_deltas');
  return Object.fromEntries([...rounds].map(([name, values]) => [name, values.sort((a, b) => a - b)[1]!]));
}

/** CPU seconds as microseconds per reading, to one decimal. */
const perReadingOf = (seconds: number, readings: number): number => +((seconds * 1e6) / readings).toFixed(1);

main().catch((error: unknown) => {
  console.error(`bench:ingest pg-cost: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
