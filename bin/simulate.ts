import { parseArgs } from 'node:util';
import { exitOnConfigError, loadConfig } from '../lib/config';
import { createPool } from '../lib/postgres';
import { loadSimulatedDevices } from '../subgraphs/device/simulator/fleet';
import { createSimulator } from '../subgraphs/device/simulator/simulator';

const usage = 'usage: npm run simulate -- --devices N [--interval 5] [--region au] [--connections K] [--qos 0|1] [--seconds S]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '10' },
      interval: { type: 'string', default: '5' },
      region: { type: 'string', default: 'au' },
      connections: { type: 'string' },
      qos: { type: 'string', default: '1' },
      seconds: { type: 'string' },
    },
  });
  const devices = Number(values.devices);
  const interval = Number(values.interval);
  const qos = Number(values.qos);
  if (!Number.isInteger(devices) || devices < 1 || !(interval >= 1) || (qos !== 0 && qos !== 1)) {
    console.error(usage);
    process.exit(64);
  }
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, { service: 'simulate', max: 1 });
  const fleet = await loadSimulatedDevices(pool, config.masterKey, values.region, devices).finally(() => pool.end());
  if (fleet.length === 0) {
    console.error(`simulate: no registered devices in region ${values.region}; register some first: npm run cli -- seed demo`);
    process.exit(1);
  }
  if (fleet.length < devices) console.error(`simulate: only ${fleet.length} devices registered in region ${values.region}; simulating those`);
  const connections = Number(values.connections ?? Math.min(8, Math.ceil(fleet.length / 10_000)));
  const simulator = createSimulator({ mqttUrl: config.MQTT_URL, devices: fleet, intervalSeconds: interval, connections, qos: qos as 0 | 1 });
  await simulator.start();

  let previous = 0;
  const progress = setInterval(() => {
    const { stats } = simulator;
    process.stderr.write(
      `\rsimulate: ${stats.devices} devices · ${stats.published - previous} msg/s · published ${stats.published} · errors ${stats.errors} · in flight ${stats.inFlight} · backlog ${stats.backlog}   `,
    );
    previous = stats.published;
  }, 1000);

  const finish = async () => {
    clearInterval(progress);
    await simulator.stop();
    process.stderr.write('\n');
    // the last line on stdout: what was published, for scripts and the benchmark
    console.log(JSON.stringify(simulator.stats));
    process.exit(0);
  };
  process.on('SIGINT', () => void finish());
  process.on('SIGTERM', () => void finish());
  if (values.seconds) setTimeout(() => void finish(), Number(values.seconds) * 1000);
}

main().catch(exitOnConfigError);
