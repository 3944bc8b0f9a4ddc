import crypto from 'node:crypto';
import net from 'node:net';
import mqtt from 'mqtt';
import { macOf } from '../../subgraphs/device/ingest/mac';
import { RawPublisher } from '../../subgraphs/device/simulator/raw-publisher';
import { createSimulator, readingCadence } from '../../subgraphs/device/simulator/simulator';
import type { SimulatedDevice } from '../../subgraphs/device/simulator/message';
import { testConfig } from '../helpers/config';
import { waitFor } from './harness';

const config = testConfig();
const region = `ts${crypto.randomBytes(4).toString('hex')}`;

async function subscriber() {
  const client = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: `sub-${crypto.randomBytes(4).toString('hex')}` });
  const received: { topic: string; payload: Buffer; mac: unknown; qos: number }[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, mac: packet.properties?.userProperties?.mac, qos: packet.qos }));
  await client.subscribeAsync(`telemetry/v1/${region}/#`, { qos: 1 });
  return { client, received };
}

/** A TCP proxy to the real broker; `wire` connects the client's socket to the broker's. */
async function brokerProxy(wire: (inbound: net.Socket, outbound: net.Socket) => void) {
  const broker = new URL(config.MQTT_URL);
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(Number(broker.port || 1883), broker.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    wire(inbound, outbound);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe("the simulator's MQTT 5 publisher", () => {
  it('publishes QoS 1 and QoS 0 messages with the mac user property, each acknowledged or written once', async () => {
    const { client, received } = await subscriber();
    const publisher = new RawPublisher({ url: config.MQTT_URL, clientId: `rawpub-${crypto.randomBytes(4).toString('hex')}` });
    await publisher.connect();
    expect(publisher.receiveMaximum).toBeGreaterThan(0);
    const results: (Error | undefined)[] = [];
    // past one packet id cycle would take 65,535: enough to cross several socket writes
    for (let i = 0; i < 600; i += 1) {
      const payload = Buffer.from(JSON.stringify({ i, text: 'é'.repeat(i % 7) }));
      publisher.publish(`telemetry/v1/${region}/D${String(i).padStart(12, '0')}/se`, payload, `mac-${i}`, i % 2 === 0 ? 1 : 0, (error) => results.push(error));
      if (publisher.inFlight >= publisher.receiveMaximum) await waitFor(async () => publisher.inFlight < publisher.receiveMaximum, 'room in flight');
    }
    await waitFor(async () => results.length === 600 && received.length === 600, '600 messages through the broker');
    expect(results.filter(Boolean)).toEqual([]);
    const byIndex = received.map((m) => ({ ...m, body: JSON.parse(m.payload.toString()) as { i: number } })).sort((a, b) => a.body.i - b.body.i);
    byIndex.forEach((message, i) => {
      expect(message.topic).toBe(`telemetry/v1/${region}/D${String(i).padStart(12, '0')}/se`);
      expect(message.mac).toBe(`mac-${i}`);
      expect(message.qos).toBe(i % 2 === 0 ? 1 : 0);
      expect(message.payload.toString()).toBe(JSON.stringify({ i, text: 'é'.repeat(i % 7) }));
    });
    await publisher.end();
    publisher.publish(`telemetry/v1/${region}/x/se`, Buffer.from('{}'), 'm', 1, (error) => results.push(error));
    expect(results.at(-1)?.message).toMatch(/not connected/);
    await client.endAsync();
  });

  it('says so when the broker cannot be reached', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(new RawPublisher({ url: `mqtt://127.0.0.1:${port}`, clientId: 'nobody' }).connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reconnects by itself after the connection drops, failing only what was in flight', async () => {
    const proxy = await brokerProxy((inbound, outbound) => {
      for (const socket of [inbound, outbound]) socket.on('close', () => (inbound.destroy(), outbound.destroy()));
      inbound.pipe(outbound).pipe(inbound);
    });
    const publisher = new RawPublisher({ url: proxy.url, clientId: `rawpub-${crypto.randomBytes(4).toString('hex')}`, reconnectMs: 100 });
    await publisher.connect();
    const acknowledged = () => new Promise<Error | undefined>((resolve) => publisher.publish(`telemetry/v1/${region}/D000000000001/se`, Buffer.from('{}'), 'm', 1, resolve));
    expect(await acknowledged()).toBeUndefined();
    for (const socket of proxy.sockets) socket.destroy();
    await waitFor(async () => !publisher.isConnected, 'the drop to be noticed');
    await waitFor(async () => publisher.isConnected, 'the reconnection');
    expect(await acknowledged()).toBeUndefined();
    await publisher.end();
    await proxy.close();
  });

  it('plays a fleet: every device publishes signed readings at its interval, each counted once the broker acknowledged it', async () => {
    const { client, received } = await subscriber();
    const devices: SimulatedDevice[] = Array.from({ length: 50 }, (_, i) => ({
      deviceId: `D9${String(i).padStart(11, '0')}`, region, channels: 3, dataKey: crypto.randomBytes(32), bootSeq: 1, seq: 0,
    }));
    const simulator = createSimulator({ mqttUrl: config.MQTT_URL, devices, intervalSeconds: 1, connections: 2, qos: 1 });
    await simulator.start();
    await waitFor(async () => simulator.stats.published >= 100, '100 acknowledged readings', 15_000);
    await simulator.stop();
    await waitFor(async () => received.length >= simulator.stats.published, 'the subscriber to catch up');
    expect(simulator.stats.errors).toBe(0);
    expect(received).toHaveLength(simulator.stats.published);
    const keys = new Map(devices.map((d) => [d.deviceId, d.dataKey]));
    for (const message of received) {
      const body = JSON.parse(message.payload.toString()) as { deviceId: string; eReal: number[] };
      expect(message.topic).toBe(`telemetry/v1/${region}/${body.deviceId}/se`);
      expect(message.mac).toBe(macOf(keys.get(body.deviceId)!, message.payload).toString('base64url'));
      expect(body.eReal).toHaveLength(3);
    }
    await client.endAsync();
  });

  it('reports the readings it sent but never had acknowledged when it stops waiting (the broker may have them all the same)', async () => {
    const { client, received } = await subscriber();
    // A proxy to the real broker that passes the CONNACK back, then holds every later packet
    // from the broker: the PUBLISHes get through, their PUBACKs never arrive.
    const proxy = await brokerProxy((inbound, outbound) => {
      inbound.pipe(outbound);
      outbound.once('data', (connack) => {
        inbound.write(connack);
        outbound.pause();
      });
    });
    const devices: SimulatedDevice[] = Array.from({ length: 20 }, (_, i) => ({
      deviceId: `D8${String(i).padStart(11, '0')}`, region, channels: 3, dataKey: crypto.randomBytes(32), bootSeq: 1, seq: 0,
    }));
    const unacknowledged: string[] = [];
    const simulator = createSimulator({
      mqttUrl: proxy.url,
      devices,
      intervalSeconds: 1,
      connections: 1,
      qos: 1,
      onUnacknowledged: (deviceId, timestamp) => unacknowledged.push(`${deviceId}|${timestamp}`),
    });
    await simulator.start();
    await waitFor(async () => simulator.stats.inFlight >= 20, '20 readings sent');
    await simulator.stop(200);
    expect(simulator.stats.published).toBe(0);
    expect(simulator.stats.unacknowledged).toBe(unacknowledged.length);
    expect(unacknowledged.length).toBeGreaterThanOrEqual(20);
    expect(new Set(unacknowledged).size).toBe(unacknowledged.length);
    // what the broker did receive is among them
    const ours = () => received.map((m) => JSON.parse(m.payload.toString()) as { deviceId: string; timestamp: number }).filter((body) => body.deviceId.startsWith('D8'));
    await waitFor(async () => ours().length >= 20, 'the broker to deliver what it received');
    const sent = new Set(unacknowledged);
    for (const body of ours()) expect(sent.has(`${body.deviceId}|${body.timestamp}`)).toBe(true);
    await proxy.close();
    await client.endAsync();
  });
});

describe("the simulator's cadence", () => {
  const over = (cadence: (elapsedMs: number) => number, steps: number, stepMs: number) => {
    let due = 0;
    for (let i = 0; i < steps; i += 1) due += cadence(stepMs);
    return due;
  };

  it('gives a small fleet exactly one reading per device per interval, ticks shorter than a reading apart', () => {
    // 7 devices at 5 s over 40 s in 50 ms ticks: 56 readings (rounding per tick gave ~100)
    expect(over(readingCadence(7, 5000), 800, 50)).toBeGreaterThanOrEqual(55);
    expect(over(readingCadence(7, 5000), 800, 50)).toBeLessThanOrEqual(56);
    // uneven ticks come to the same
    const cadence = readingCadence(7, 5000);
    let due = 0;
    for (let elapsed = 0; elapsed < 40_000; ) {
      const step = 13 + ((elapsed / 13) % 97);
      due += cadence(step);
      elapsed += step;
    }
    expect(due).toBeGreaterThanOrEqual(55);
    expect(due).toBeLessThanOrEqual(57);
  });

  it('spreads a large fleet evenly and owes at most one reading per device after a stall', () => {
    expect(over(readingCadence(100_000, 5000), 100, 50)).toBe(100_000);
    const cadence = readingCadence(7, 5000);
    expect(cadence(20_000)).toBe(7);
    expect(cadence(-5)).toBe(0);
  });
});
