import fs from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { exitOnConfigError, loadConfig } from '../lib/config';
import { createPool } from '../lib/postgres';
import { loadSimulatedDevices } from '../subgraphs/device/simulator/fleet';
import { createSimulator } from '../subgraphs/device/simulator/simulator';
import { startMaintenanceResponder } from '../subgraphs/device/simulator/maintenance-responder';
import { loadDeviceSecrets } from '../subgraphs/device/keys.store';
import { signPayload } from '../subgraphs/device/simulator/message';
import { telemetryTopic } from '../subgraphs/device/ingest/topics';

const usage = 'usage: npm run simulate -- --devices N [--interval 5] [--region au] [--connections K] [--qos 0|1] [--seconds S] [--no-commands]\n  [--drain-seconds 10] [--unacknowledged FILE]';

/** Above this many devices the simulator only publishes (one subscription per device would dominate). */
const MAX_ANSWERING = 5_000;
/** How long a stop waits for the broker to take the devices' offline status before going on without it. */
const STATUS_STOP_MS = 5_000;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        devices: { type: 'string', default: '10' },
        interval: { type: 'string', default: '5' },
        region: { type: 'string', default: 'au' },
        connections: { type: 'string' },
        qos: { type: 'string', default: '1' },
        seconds: { type: 'string' },
        'no-commands': { type: 'boolean' },
        // on stopping, how long to wait for the broker's outstanding acknowledgements
        'drain-seconds': { type: 'string', default: '10' },
        // a file for the readings (deviceId and timestamp, one per line) sent without an
        // acknowledgement: the benchmark checks which of them were stored all the same
        unacknowledged: { type: 'string' },
      },
    });
  } catch (error) {
    console.error(`simulate: ${(error as Error).message}\n${usage}`);
    process.exit(64);
  }
  const { values } = parsed;
  const devices = Number(values.devices);
  const interval = Number(values.interval);
  const qos = Number(values.qos);
  const drainSeconds = Number(values['drain-seconds']);
  if (!Number.isInteger(devices) || devices < 1 || !(interval >= 1) || (qos !== 0 && qos !== 1) || !(drainSeconds >= 0)) {
    console.error(usage);
    process.exit(64);
  }
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, { service: 'simulate', max: 1 });
  const fleet = await loadSimulatedDevices(pool, config.masterKey, values.region, devices);
  const answering = !values['no-commands'] && fleet.length <= MAX_ANSWERING;
  const secrets = answering ? await loadDeviceSecrets(pool, config.masterKey, fleet.map((device) => device.deviceId)) : new Map();
  await pool.end();
  if (fleet.length === 0) {
    console.error(`simulate: no registered devices in region ${values.region}; register some first: npm run cli -- seed demo`);
    process.exit(1);
  }
  if (fleet.length < devices) console.error(`simulate: only ${fleet.length} devices registered in region ${values.region}; simulating those`);
  const connections = Number(values.connections ?? Math.min(8, Math.ceil(fleet.length / 10_000)));
  const unacknowledged: string[] = [];
  const simulator = createSimulator({
    mqttUrl: config.MQTT_URL,
    devices: fleet,
    intervalSeconds: interval,
    connections,
    qos: qos as 0 | 1,
    onUnacknowledged: values.unacknowledged ? (deviceId, timestamp) => unacknowledged.push(`${deviceId} ${timestamp}`) : undefined,
  });
  await simulator.start();
  // The devices also answer maintenance commands like real monitors (issue #4): verify the
  // maintenance MAC, apply, answer signed on their result topic.
  const maintenance = answering ? await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: `cypernex-sim-maintenance-${process.pid}` }) : null;
  const responder = maintenance
    ? await startMaintenanceResponder(
        maintenance,
        fleet.map((device) => ({ deviceId: device.deviceId, region: device.region, maintenanceKey: secrets.get(device.deviceId)!.maintenanceKey })),
        { onCommand: (deviceId, command) => process.stderr.write(`\nsimulate: ${deviceId} applied ${command.type} ${JSON.stringify(command.params)}\n`) },
      )
    : null;
  // Retained, signed status (CONTRACT §6): online now, offline when the simulator stops.
  const publishStatus = async (online: boolean) => {
    if (!maintenance) return;
    const timestamp = Math.floor(Date.now() / 1000);
    await Promise.all(
      fleet.map((device) => {
        const payload = Buffer.from(JSON.stringify({ v: 1, deviceId: device.deviceId, online, timestamp, firmwareVersion: 'sim-1.0.0', signalQualityDbm: -67 }));
        return maintenance.publishAsync(telemetryTopic(device.region, device.deviceId, 'status'), payload, {
          qos: 1,
          retain: true,
          properties: { userProperties: { mac: signPayload(device.dataKey, payload) } },
        });
      }),
    );
  };
  await publishStatus(true);
  if (!answering && !values['no-commands']) console.error(`simulate: more than ${MAX_ANSWERING} devices: publishing only, not answering maintenance commands`);

  let previous = 0;
  const progress = setInterval(() => {
    const { stats } = simulator;
    process.stderr.write(
      `\rsimulate: ${stats.devices} devices · ${stats.published - previous} msg/s · published ${stats.published} · errors ${stats.errors} · in flight ${stats.inFlight} · backlog ${stats.backlog}   `,
    );
    previous = stats.published;
  }, 1000);

  let finishing = false;
  const finish = async () => {
    // a second Ctrl-C (or the bench's SIGTERM) while the drain runs stops at once
    if (finishing) {
      process.stderr.write('\nsimulate: stopped before the drain ended\n');
      process.exit(1);
    }
    finishing = true;
    clearInterval(progress);
    // the offline status is QoS 1: a broker that has gone away would hold the stop for ever
    const offline = (async () => {
      await responder?.stop();
      await publishStatus(false);
      await maintenance?.endAsync();
    })();
    const settled = await Promise.race([offline.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), STATUS_STOP_MS))]);
    if (!settled) console.error(`\nsimulate: the broker did not take the offline status within ${STATUS_STOP_MS / 1000} s; stopping without it`);
    await simulator.stop(drainSeconds * 1000);
    if (values.unacknowledged) fs.writeFileSync(values.unacknowledged, unacknowledged.map((line) => `${line}\n`).join(''));
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
