import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dropKeysWithPrefix } from '../../lib/redis';
import mqtt from 'mqtt';
import { loadConfig } from '../../lib/config';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase } from '../../lib/postgres';
import { fromRoot } from '../../lib/paths';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { loadSimulatedDevices } from '../../subgraphs/device/simulator/fleet';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { provisionFleet } from './fleet';
import { cpuSeconds, cpuSecondsOfAll, freePort, peakRssMiB, startBroker, waitUntil, walState } from './processes';
import { INGEST_NODE_FLAGS } from '../../bin/services';
import { calibrationMs } from '../calibrate';
import { cleanUpOnce } from '../clean-up';

/**
 * `npm run bench:ingest -- --devices 100000 --seconds 300`: simulator, broker, worker and
 * PostgreSQL on this machine, each its own process. Counts published (broker PUBACKs) against
 * stored rows, measures publish→queryable with probe devices polled in the database, and
 * CPU per process. Runs in a throwaway database; prints one JSON line last.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '20000' },
      seconds: { type: 'string', default: '60' },
      interval: { type: 'string', default: '5' },
      tenants: { type: 'string', default: '100' },
      channels: { type: 'string', default: '6' },
      // a directory for V8 CPU profiles of the worker and the simulator (written when they exit)
      profile: { type: 'string' },
      // a file for the worker's log (warnings: failed batches, reconnects)
      'worker-log': { type: 'string' },
      // ingestion worker processes sharing the subscription (CONTRACT §6 `$share/ingest/...`)
      workers: { type: 'string', default: '1' },
    },
  });
  // before anything starts: the machine's speed, to compare runs on different VMs
  const calibration = calibrationMs();
  const devices = Number(values.devices);
  const seconds = Number(values.seconds);
  const base = loadConfig();
  const url = new URL(base.DATABASE_URL);
  url.pathname = `/cypernex_bench_${Date.now().toString(36)}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), REDIS_KEY_PREFIX: `cpxbench:${Date.now().toString(36)}:`, CYPERNEX_MASTER_KEY: base.masterKey.toString('base64url'), LOG_LEVEL: 'warn' };
  const config = loadConfig(env);
  const log = (line: string) => console.error(`bench: ${line}`);
  const children: ChildProcess[] = [];
  const pool = createPool(config.DATABASE_URL, { service: 'bench', max: 2 });
  const cleanUp = cleanUpOnce(async () => {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await pool.end();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await dropDatabase(config.DATABASE_URL).catch((error) => log(`database not dropped: ${(error as Error).message}`));
    await dropKeysWithPrefix(config.REDIS_URL, env.REDIS_KEY_PREFIX).catch((error) => log(`redis keys not removed: ${(error as Error).message}`));
  });
  try {
    await migrate(config.DATABASE_URL);
    log(`provisioning ${devices} devices`);
    await provisionFleet(pool, config.masterKey, { region: 'bench', devices, tenants: Number(values.tenants), channels: Number(values.channels) });
    await provisionFleet(pool, config.masterKey, { region: 'probe', devices: 20, tenants: 1, channels: Number(values.channels) });

    const brokerPort = await freePort();
    const broker = startBroker(brokerPort);
    children.push(broker);
    const workerCount = Math.max(1, Number(values.workers));
    const ingestPorts = await Promise.all(Array.from({ length: workerCount }, () => freePort()));
    const childEnv = { ...env, MQTT_URL: `mqtt://127.0.0.1:${brokerPort}`, INGEST_PORT: String(ingestPorts[0]) };
    await waitUntil(() => mqtt.connectAsync(childEnv.MQTT_URL, { reconnectPeriod: 0 }).then((c) => c.endAsync().then(() => true)), 'the broker', 10_000);
    const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
    // each with its own port, hence its own client id and persistent session in the group
    const workers = ingestPorts.map((port, i) =>
      spawn(process.execPath, [...profile, ...INGEST_NODE_FLAGS, fromRoot('dist/subgraphs/device/ingest/main.js')], {
        env: { ...childEnv, INGEST_PORT: String(port) },
        stdio: ['ignore', values['worker-log'] ? fs.openSync(`${values['worker-log']}${i ? `.${i}` : ''}`, 'w') : 'ignore', 'inherit'],
      }),
    );
    children.push(...workers);
    for (const port of ingestPorts) await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 'the worker', 20_000);

    const cpuOf: Record<string, () => number> = {
      worker: () => workers.reduce((sum, w) => sum + cpuSeconds(w.pid!), 0),
      broker: () => cpuSeconds(broker.pid!),
      postgres: () => cpuSecondsOfAll('postgres'),
      redis: () => cpuSecondsOfAll('redis-server'),
    };
    // readings sent without an acknowledgement (the simulator stopped waiting for an
    // overloaded broker): not counted as published, but the broker may still deliver them
    const unacknowledgedFile = path.join(os.tmpdir(), `cypernex-bench-unacknowledged-${process.pid}`);
    const simulator = spawn(
      process.execPath,
      [
        ...profile,
        fromRoot('dist/bin/simulate.js'),
        ...['--devices', String(devices), '--interval', values.interval, '--region', 'bench', '--seconds', String(seconds)],
        ...['--drain-seconds', '60', '--unacknowledged', unacknowledgedFile],
      ],
      { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(simulator);
    if (values.profile) log(`profiles in ${values.profile}: worker pid ${workers.map((w) => w.pid).join(', ')}, simulator pid ${simulator.pid}`);
    const cpuNow = () => Object.fromEntries(Object.entries(cpuOf).map(([name, read]) => [name, read()]));
    const cpuBefore = cpuNow();
    const walBefore = await walState(pool);
    let simulatorCpu = 0;
    const startedAt = Date.now();

    const probe = await startProbe(pool, config.masterKey, childEnv.MQTT_URL);
    let output = '';
    simulator.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const samplingSimulator = setInterval(() => (simulatorCpu = cpuSeconds(simulator.pid!) || simulatorCpu), 500);
    await new Promise((resolve) => simulator.on('exit', resolve));
    clearInterval(samplingSimulator);
    const publishSeconds = (Date.now() - startedAt) / 1000;
    const { published } = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { published: number };
    const unacknowledged = fs
      .readFileSync(unacknowledgedFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]);
    fs.rmSync(unacknowledgedFile, { force: true });
    await probe.stop();

    const count = async () => Number((await pool.query("select count(*) as n from telemetry.readings where region = 'bench'")).rows[0].n);
    log(`published ${published}; waiting for the worker to catch up`);
    // The exact count scans every reading (seconds of CPU at millions of rows), so between
    // counts the drain follows the worker's own stored counter, which costs nothing.
    const workerMetrics = async () => Promise.all(ingestPorts.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()));
    // an unlabelled metric summed over the workers
    const sumOf = (texts: string[], name: string) => texts.reduce((sum, text) => sum + Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN), 0);
    const storedByWorker = async () => sumOf(await workerMetrics(), 'cypernex_ingest_readings_stored_total');
    // CPU and time are read before each exact count, and the reading taken before the count
    // that finds everything stored is the run's: the count scans every reading (with parallel
    // workers), work of the bench's, not of the platform.
    let drained = { at: Date.now(), cpu: cpuNow() };
    let stored = await count();
    // Loss is counted reading by reading: stored readings that were never acknowledged are
    // not set off against acknowledged ones that might be missing.
    let storedUnacknowledged = await countStored(pool, unacknowledged);
    // As long as the worker makes progress: a backlog left at the broker is not lost, and
    // the catch-up time says how far behind the worker fell. Stops after 15 s without progress.
    const drainDeadline = Date.now() + 1_800_000;
    while (stored - storedUnacknowledged < published && Date.now() < drainDeadline) {
      const from = await storedByWorker();
      let last = from;
      let still = 0;
      while (last - from < published - (stored - storedUnacknowledged) && still < 15 && Date.now() < drainDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const now = await storedByWorker();
        still = now === last ? still + 1 : 0;
        last = now;
      }
      const before = stored;
      drained = { at: Date.now(), cpu: cpuNow() };
      stored = await count();
      storedUnacknowledged = await countStored(pool, unacknowledged);
      if (still >= 15 && stored === before) break;
    }
    const drainedSeconds = (drained.at - startedAt) / 1000;
    const cpu = Object.fromEntries(Object.keys(cpuOf).map((name) => [name, round((drained.cpu[name]! - cpuBefore[name]!) / drainedSeconds)]));
    const walAfter = await walState(pool);
    const allMetrics = await workerMetrics();
    const metric = (name: string) => sumOf(allMetrics, name);
    const metrics = allMetrics.join('\n');
    const received = [...metrics.matchAll(/^cypernex_ingest_messages_received_total\{[^}]*\} ([0-9.e+-]+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    const batches = metric('cypernex_ingest_batch_size_count');
    const deadLetters = Number((await pool.query('select count(*) as n from telemetry.dead_letters')).rows[0].n);
    const latencies = probe.samples.map((sample) => sample.latencyMs).sort((a, b) => a - b);
    // when the slowest 1 % were published (seconds into the run), with their latency and the
    // part of it before the worker received them: a tail that repeats on a period points at
    // a periodic job (the fold, checkpoints)
    const slowest = probe.samples
      .slice()
      .sort((a, b) => b.latencyMs - a.latencyMs)
      .slice(0, Math.max(1, Math.ceil(latencies.length / 100)))
      .sort((a, b) => a.publishedAt - b.publishedAt)
      .map((sample) => [round((sample.publishedAt - startedAt) / 1000), sample.latencyMs, sample.receivedMs]);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
    console.log(
      JSON.stringify({
        bench: 'ingest',
        devices,
        intervalSeconds: Number(values.interval),
        seconds,
        published,
        stored,
        // sent but never acknowledged, and how many of those the platform stored all the same
        unacknowledged: { sent: unacknowledged.length, stored: storedUnacknowledged },
        lost: published - (stored - storedUnacknowledged),
        deadLetters,
        offeredPerSecond: round(published / publishSeconds),
        storedPerSecond: round(stored / drainedSeconds),
        catchUpSeconds: round(drainedSeconds - publishSeconds),
        publishToQueryableMs: { samples: latencies.length, p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? null, slowest },
        worker: {
          processes: workerCount,
          // more than published + probes means redeliveries
          received,
          peakRssMiB: Math.max(...workers.map((w) => peakRssMiB(w.pid!) ?? 0)),
          batches,
          meanBatch: round(metric('cypernex_ingest_batch_size_sum') / batches),
          meanCommitMs: round((metric('cypernex_ingest_batch_seconds_sum') / batches) * 1000),
        },
        cpuCoresAveraged: { ...cpu, simulator: round(simulatorCpu / publishSeconds) },
        // the whole server's WAL over the run (other databases' writes included): full-page
        // images after every checkpoint are most of it when checkpoints come often
        postgres: {
          walBytesPerReading: Math.round(Number(walAfter.lsn - walBefore.lsn) / stored),
          checkpoints: walAfter.checkpoints - walBefore.checkpoints,
          maxWalSize: walAfter.maxWalSize,
          sharedBuffers: walAfter.sharedBuffers,
        },
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          memoryGiB: round(os.totalmem() / 2 ** 30),
          node: process.version,
          // 1, 5 and 15 minutes at the end: other jobs on a shared machine show up here
          loadAverage: os.loadavg().map(round),
          calibrationMs: calibration,
        },
      }),
    );
  } finally {
    await cleanUp();
  }
}

/** 20 probe devices publish once a second each; their rows are polled to time publish→queryable. */
async function startProbe(pool: ReturnType<typeof createPool>, masterKey: Buffer, mqttUrl: string) {
  const devices = await loadSimulatedDevices(pool, masterKey, 'probe', 20);
  const probeIds = devices.map((device) => device.deviceId);
  const client = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5 });
  const pending = new Map<string, { publishedAt: number; timestamp: number }>();
  // receivedMs: publish → the worker's receipt (the reading's received_at); the rest of
  // latencyMs is batching, the commit and this poll
  const samples: { publishedAt: number; latencyMs: number; receivedMs: number }[] = [];
  // a late timer then an early one can fire twice within one second: a second reading of
  // the same second would be a different message for a stored interval, rightly
  // dead-lettered as a replay (40 did on 2026-11-27 18:35), and its sample lost
  let lastTimestamp = 0;
  const publishing = setInterval(() => {
    const timestamp = Math.max(lastTimestamp + 1, Math.floor(Date.now() / 1000));
    lastTimestamp = timestamp;
    for (const device of devices) {
      const { payload, mac } = readingMessage(device, timestamp);
      pending.set(`${device.deviceId}|${timestamp}`, { publishedAt: Date.now(), timestamp });
      void client.publishAsync(telemetryTopic('probe', device.deviceId, 'se'), payload, { qos: 1, properties: { userProperties: { mac } } });
    }
  }, 1000);
  let polling = true;
  const poll = (async () => {
    while (polling) {
      // from the oldest reading still awaited (by its timestamp, not by when the worker
      // received it: a reading held longer than any fixed window would never be counted)
      let oldest = Math.floor(Date.now() / 1000);
      for (const { timestamp } of pending.values()) oldest = Math.min(oldest, timestamp);
      // Device by device through the primary key. Filtering on `region` scanned the whole day
      // partition 20 times a second; `device_id = any($2)` did too once the partition had grown
      // (a parallel bitmap scan, on a server without autovacuum hence without statistics: two
      // parallel workers started 20 times a second, half a core of PostgreSQL charged to the
      // ingestion it measures, 2026-11-28). A lateral look-up per device is an index scan
      // whatever the estimates (1.5 ms against 58 for 20 devices in 4,000,000 readings).
      const { rows } = await pool.query<{ key: string; received_ms: number }>(
        `select d.id || '|' || extract(epoch from r.ts)::int8 as key, (extract(epoch from r.received_at) * 1000)::float8 as received_ms
         from unnest($2::text[]) as d(id)
         cross join lateral (select ts, received_at from telemetry.readings where device_id = d.id and ts >= to_timestamp($1) offset 0) r`,
        [oldest, probeIds],
      );
      const now = Date.now();
      for (const row of rows) {
        const awaited = pending.get(row.key);
        if (awaited !== undefined) {
          samples.push({ publishedAt: awaited.publishedAt, latencyMs: now - awaited.publishedAt, receivedMs: Math.round(row.received_ms - awaited.publishedAt) });
          pending.delete(row.key);
        }
      }
      // Every 50 ms while the readings are fresh; while the worker lags, every 1 % of the
      // oldest awaited reading's age (at most a second): each poll re-reads every probe
      // reading since that one (20 a second of lag), which at minutes of lag was thousands
      // of rows 20 times a second, PostgreSQL CPU charged to the ingestion it measures.
      let oldestPublishedAt = now;
      for (const { publishedAt } of pending.values()) oldestPublishedAt = Math.min(oldestPublishedAt, publishedAt);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(50, (now - oldestPublishedAt) / 100))));
    }
  })();
  return {
    samples,
    async stop() {
      clearInterval(publishing);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      polling = false;
      await poll;
      await client.endAsync();
    },
  };
}

/** How many of these (deviceId, timestamp) 5-second readings are stored. */
async function countStored(pool: ReturnType<typeof createPool>, readings: [string, string][]): Promise<number> {
  let count = 0;
  for (let start = 0; start < readings.length; start += 10_000) {
    const chunk = readings.slice(start, start + 10_000);
    const { rows } = await pool.query<{ n: string }>(
      `select count(*) as n from telemetry.readings r
       join unnest($1::text[], $2::float8[]) as u(device_id, t) on r.device_id = u.device_id and r.ts = to_timestamp(u.t) and r.duration = 5`,
      [chunk.map(([deviceId]) => deviceId), chunk.map(([, timestamp]) => Number(timestamp))],
    );
    count += Number(rows[0]!.n);
  }
  return count;
}

const round = (value: number): number => Math.round(value * 100) / 100;

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
