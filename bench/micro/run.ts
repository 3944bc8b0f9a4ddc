import crypto from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import zlib from 'node:zlib';
import pg from 'pg';
import { HmacSha256Key } from '../../lib/hmac-sha256';
import { seriesJson } from '../../lib/series-json';
import { PackedSeries, seriesMarker, unpackSeries } from '../../lib/series-wire';
import { checkCachedMessage } from '../../subgraphs/device/ingest/check-message';
import type { DeviceDirectory } from '../../subgraphs/device/ingest/device-keys';
import { readPublishes } from '../../subgraphs/device/ingest/publish-reader';
import { SequenceWindow } from '../../subgraphs/device/ingest/sequence-window';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { publishHeader } from '../../subgraphs/device/mqtt-wire';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { ARCHIVE_DEFLATE_OPTIONS, packArchive } from '../../subgraphs/telemetry/archive';
import { uuidField } from '../../subgraphs/telemetry/copy-binary';
import { latest, recordLatest } from '../../subgraphs/telemetry/latest-store';
import { encodeRows } from '../../subgraphs/telemetry/store-write';
import { loadConfig } from '../../lib/config';
import { createRedis, dropKeysWithPrefix } from '../../lib/redis';
import { cleanUpOnce } from '../clean-up';

/**
 * `node dist/bench/micro/run.js` (after a build): the small measurements behind design
 * choices in the ingestion worker and the gateway, in one process, CPU time per unit:
 *
 * - archive: a batch's records per tenant blob, deflated through the libuv pool (a stream
 *   per blob, as at first), deflated synchronously with a 2 KiB window (as until
 *   2026-11-27), and packed for PostgreSQL to compress (packArchive, now), with 10 and 50
 *   records per blob (100 tenants, batches of 1,000 and 5,000); bytes per record stored
 *   raw, deflated, and with PostgreSQL's lz4 (a temporary table on DATABASE_URL's server);
 * - series: a raw day's `readingSeries` answer (26 series of 17,280 numbers) as the
 *   gateway handles it, plain (parse and stringify every number) against packed (parse and
 *   stringify strings, then put the arrays back), and the subgraph's printing of the
 *   numbers with JSON.stringify against lib/series-json.ts;
 * - hmac: one HMAC-SHA256 of a reading payload with a prepared key;
 * - messages: the simulator's signed reading (readingMessage) and the worker's check of it
 *   with the keys in memory (checkCachedMessage), 100,000 of each;
 * - latest: the ingestion worker's update of the newest reading per device in Redis
 *   (`recordLatest`, batches of 5,000 devices), CPU of this process and of Redis per device
 *   (the machine's Redis, keys under a throwaway prefix);
 * - copyRows: the worker's binary COPY input for a batch of 5,000 six-channel readings
 *   (`encodeRows`: the readings and their parked rollup deltas), per reading; and the
 *   12-byte float8 field most of it is made of, written with Buffer's writeInt32BE and
 *   writeDoubleBE (as until 2026-11-27) against DataView's setters (copy-binary.ts now);
 * - publishes: the worker's reading of QoS 1 PUBLISH packets as Mosquitto sends them
 *   (topic, packet id, the `mac` user property, a reading's payload; 100,000 in one write
 *   from a local server), through MQTT.js (mqtt-packet's parser, the packet pipeline and
 *   the 'message' event; its PUBACKs left out, as the worker's own were)
 *   against PublishReader (mqtt-wire.ts); CPU of this process per message, the server's
 *   write included in both.
 *
 * Prints one JSON line.
 */
const deflateAsync = promisify(zlib.deflateRaw);

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function payload(i: number): Buffer {
  const jitter = (scale: number) => Math.round(Math.random() * scale);
  return Buffer.from(
    `{"v":1,"deviceId":"D${String(100_000_000_000 + i)}","bootSeq":1,"seq":${1000 + i},"timestamp":1764115200,"duration":5,"frequency":50.0${jitter(9)},` +
      `"eReal":[${jitter(2000)},2,38,-560,37,-14],"eReactive":[-857,-19,-364,61,45,-4],"vRMS":[244.9,244.8,244.8,244.9,244.8,244.8],"iRMS":[1.259,0.028,0.31,2.1,0.15,0.06]}`,
  );
}

async function archive(perBlob: number) {
  const blobs = Array.from({ length: 100 }, (_, b) => Array.from({ length: perBlob }, (_, i) => ({ payload: payload(b * perBlob + i), mac: crypto.randomBytes(32) })));
  const records = 100 * perBlob;
  const rounds = 20;
  const concat = (blob: { payload: Buffer; mac: Buffer }[]) => Buffer.concat(blob.flatMap((record) => [record.payload, record.mac]));
  let start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) await Promise.all(blobs.map((blob) => deflateAsync(concat(blob), { level: 1 })));
  const pooled = (cpuMicros() - start) / rounds / records;
  start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) for (const blob of blobs) zlib.deflateRawSync(concat(blob), ARCHIVE_DEFLATE_OPTIONS);
  const synchronous = (cpuMicros() - start) / rounds / records;
  start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) for (const blob of blobs) packArchive(blob);
  const packed = (cpuMicros() - start) / rounds / records;
  // bytes per record stored: raw, deflated by the worker, and as PostgreSQL's lz4 keeps it
  const raw = blobs.map((blob) => packArchive(blob).blob);
  const deflated = raw.reduce((sum, blob) => sum + zlib.deflateRawSync(blob, ARCHIVE_DEFLATE_OPTIONS).length, 0);
  const url = new URL(loadConfig().DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  let lz4: number | null = null;
  try {
    await client.query('create temporary table micro_archive (blob bytea compression lz4)');
    await client.query('insert into micro_archive select unnest($1::bytea[])', [raw]);
    lz4 = Number((await client.query<{ n: string }>('select sum(pg_column_size(blob)) as n from micro_archive')).rows[0]!.n);
  } finally {
    await client.end();
  }
  return {
    recordsPerBlob: perBlob,
    microsecondsPerRecord: { deflateLibuvPool: round(pooled), deflateSynchronous2KiB: round(synchronous), packedForLz4: round(packed) },
    bytesPerRecord: { raw: round(raw.reduce((sum, blob) => sum + blob.length, 0) / records), deflate: round(deflated / records), postgresLz4: lz4 === null ? null : round(lz4 / records) },
  };
}

function series() {
  const marker = seriesMarker(crypto.randomBytes(32));
  const columns = Array.from({ length: 26 }, (_, k) =>
    Array.from({ length: 17_280 }, () => (k % 3 === 0 ? Math.round(Math.random() * 2000) : k % 3 === 1 ? Math.round(Math.random() * 2400) / 10 : Math.round(Math.random() * 3000) / 1000)),
  );
  const answer = (values: (c: number[]) => unknown) => ({ data: { _entities: [{ readingSeries: { columns: columns.map(values) } }] } });
  const plainWire = JSON.stringify(answer((c) => c));
  const packedWire = JSON.stringify(answer((c) => new PackedSeries(c, marker)));
  const time = (work: () => unknown) => {
    work();
    const start = cpuMicros();
    for (let i = 0; i < 20; i += 1) work();
    return round((cpuMicros() - start) / 20 / 1000);
  };
  const plainParsed = JSON.parse(plainWire) as unknown;
  const packedParsed = JSON.parse(packedWire) as unknown;
  const packedOut = JSON.stringify(packedParsed);
  if (unpackSeries(packedOut, marker) !== JSON.stringify(plainParsed)) throw new Error('bench: unpacked answer differs from the plain one');
  return {
    answerBytes: plainWire.length,
    milliseconds: {
      subgraphStringifyPlain: time(() => JSON.stringify(answer((c) => c))),
      subgraphStringifyPacked: time(() => JSON.stringify(answer((c) => new PackedSeries(c, marker)))),
      // the packed series' numbers alone, as V8 prints them and as lib/series-json.ts does
      numbersJsonStringify: time(() => columns.map((c) => JSON.stringify(c))),
      numbersSeriesJson: time(() => columns.map((c) => seriesJson(c))),
      gatewayParsePlain: time(() => JSON.parse(plainWire)),
      gatewayParsePacked: time(() => JSON.parse(packedWire)),
      gatewayStringifyPlain: time(() => JSON.stringify(plainParsed)),
      gatewayStringifyPacked: time(() => JSON.stringify(packedParsed)),
      gatewayUnpack: time(() => unpackSeries(packedOut, marker)),
    },
  };
}

/**
 * HMAC-SHA256 of one reading: `createHmac` with a prepared key object (what mac.ts did
 * until 2026-11-27), two one-shot `crypto.hash` calls with the key's pads computed once, and
 * lib/hmac-sha256.ts (JavaScript from the pads' prepared states: what mac.ts does now; no
 * native Hmac object per message, which the worker's profile showed being freed by GC).
 * Interleaved rounds; the MACs are checked equal first.
 */
function hmac() {
  const raw = crypto.randomBytes(32);
  const key = crypto.createSecretKey(raw);
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < raw.length; i += 1) {
    inner[i]! ^= raw[i]!;
    outer[i]! ^= raw[i]!;
  }
  const scratch = Buffer.allocUnsafe(64 + 16_384);
  inner.copy(scratch);
  const oneShot = (body: Buffer): Buffer => {
    body.copy(scratch, 64);
    const digest = crypto.hash('sha256', scratch.subarray(0, 64 + body.length), 'buffer');
    return crypto.hash('sha256', Buffer.concat([outer, digest]), 'buffer');
  };
  const createHmac = (body: Buffer): Buffer => crypto.createHmac('sha256', key).update(body).digest();
  const prepared = new HmacSha256Key(raw);
  const javaScript = (body: Buffer): Buffer => prepared.digest(body);
  const body = payload(1);
  if (!oneShot(body).equals(createHmac(body))) throw new Error('bench: the one-shot HMAC differs');
  if (!javaScript(body).equals(createHmac(body))) throw new Error('bench: the JavaScript HMAC differs');
  const rounds = 100_000;
  const variants = [['createHmac', createHmac], ['hashOneShot', oneShot], ['javaScript', javaScript]] as const;
  const totals = { createHmac: 0, hashOneShot: 0, javaScript: 0 };
  for (let pass = 0; pass < 3; pass += 1) {
    for (const [name, mac] of variants) {
      const start = cpuMicros();
      for (let i = 0; i < rounds; i += 1) mac(body);
      totals[name] += cpuMicros() - start;
    }
  }
  const microsecondsPerMac = Object.fromEntries(variants.map(([name]) => [name, round(totals[name] / (3 * rounds))]));
  return { payloadBytes: body.length, microsecondsPerMac };
}

/**
 * The simulator's cost of one signed reading (`readingMessage`: values, JSON text, HMAC),
 * and the worker's check of one (`checkCachedMessage`: topic, MAC, JSON.parse, schema,
 * replay window), with the device's keys in memory as a warm worker has them.
 */
function messages() {
  const devices = Array.from({ length: 10_000 }, (_, i) => ({
    deviceId: `D${String(100_000_000_000 + i)}`,
    region: 'bench',
    channels: 6,
    dataKey: crypto.randomBytes(32),
    bootSeq: 1,
    seq: 0,
  }));
  const rounds = 10;
  const now = Math.floor(Date.now() / 1000) - rounds * 5;
  const topics = devices.map((device) => telemetryTopic('bench', device.deviceId, 'se'));
  const sign = (r: number) => devices.map((device, i) => ({ topic: topics[i]!, ...readingMessage(device, now + r * 5) }));
  sign(-1); // warm-up: the first calls run before V8 has optimised them
  // published and dropped, as the simulator does
  let start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) for (const device of devices) readingMessage(device, now + r * 5);
  const simulator = (cpuMicros() - start) / (rounds * devices.length);
  // held until checked, as the worker holds them until their batch commits
  const signed = Array.from({ length: rounds }, (_, r) => sign(r)).flat();
  const keys = new Map(
    devices.map((d) => [d.deviceId, { deviceId: d.deviceId, tenantId: crypto.randomUUID(), region: 'bench', channelCount: 6, dataKeys: [d.dataKey], macKeys: [new HmacSha256Key(d.dataKey)], loadedAt: 0, stampedAt: 0 }]),
  );
  const directory = { cached: (id: string) => keys.get(id) } as unknown as DeviceDirectory;
  // every device's high-water mark known, as a warm worker's are once the writer reported them
  const settled = () => {
    const window = new SequenceWindow();
    for (const device of devices) window.settle(device.deviceId, null);
    return window;
  };
  const options = { directory, window: settled(), maxSkewSeconds: 30, maxAgeSeconds: 86_400 };
  const receivedAt = new Date();
  for (const message of signed.slice(0, 10_000)) checkCachedMessage({ ...message, receivedAt }, { ...options, window: settled() });
  let accepted = 0;
  start = cpuMicros();
  for (const message of signed) if ((checkCachedMessage({ ...message, receivedAt }, options) as { kind?: string }).kind === 'reading') accepted += 1;
  const check = (cpuMicros() - start) / signed.length;
  if (accepted !== signed.length) throw new Error(`bench: ${signed.length - accepted} simulated readings refused`);
  return { messages: signed.length, microsecondsPerMessage: { simulatorReadingMessage: round(simulator), workerCheckCachedMessage: round(check) } };
}

async function latestReadings() {
  const config = loadConfig();
  const prefix = `cpxmicro:${crypto.randomBytes(4).toString('hex')}:`;
  const redis = createRedis(config.REDIS_URL, { keyPrefix: prefix, service: 'bench' });
  const cleanUp = cleanUpOnce(async () => {
    redis.disconnect();
    await dropKeysWithPrefix(config.REDIS_URL, prefix);
  });
  const redisCpuSeconds = async () => {
    const info = await redis.info('cpu');
    return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  };
  try {
    const devices = 5000;
    const rounds = 60;
    const tenants = Array.from({ length: 100 }, () => crypto.randomUUID());
    // payloads cut out of a larger buffer, as the worker's are out of MQTT packets
    const batch = (timestamp: number) =>
      Array.from({ length: devices }, (_, i) => {
        const body = payload(i);
        const packet = Buffer.concat([Buffer.alloc(40), body]);
        return { deviceId: `D${String(100_000_000_000 + i)}`, tenantId: tenants[i % 100]!, timestamp: timestamp + i % 5, payload: packet.subarray(40), receivedAt: new Date() };
      });
    const batches = Array.from({ length: rounds + 1 }, (_, r) => batch(1_764_115_200 + r * 5));
    await recordLatest(redis, batches[0]!);
    const start = cpuMicros();
    const redisStart = await redisCpuSeconds();
    for (let r = 1; r <= rounds; r += 1) await recordLatest(redis, batches[r]!);
    const node = (cpuMicros() - start) / rounds / devices;
    const server = ((await redisCpuSeconds()) - redisStart) * 1e6 / rounds / devices;
    const [stored] = await latest(redis, [batches[rounds]![7]!.deviceId]);
    if (JSON.stringify(stored?.reading?.eReal) !== JSON.stringify(JSON.parse(batches[rounds]![7]!.payload.toString()).eReal)) {
      throw new Error('bench: the latest reading read back differs from the one recorded');
    }
    return { devicesPerCall: devices, microsecondsPerDevice: { worker: round(node), redis: round(server) } };
  } finally {
    await cleanUp();
  }
}

function copyRows() {
  const tenant = uuidField(crypto.randomUUID());
  const receivedAt = new Date();
  const values = (scale: number) => Array.from({ length: 6 }, (_, c) => Math.round(Math.random() * scale * (c + 1)) / 10);
  const placed = Array.from({ length: 5000 }, (_, i) => ({
    r: {
      deviceId: `D${100_000_000_000 + i}`, tenantId: '', region: 'bench', bootSeq: 1, seq: i, timestamp: 1_764_115_200 + i, duration: 5, frequency: 50.01,
      eReal: values(10_000), eReactive: values(5_000), vRMS: values(2_400), iRMS: values(100), topic: '', receivedAt, payload: payload(i), mac: crypto.randomBytes(32), fresh: true,
    },
    tenant,
    archiveId: 1,
    offset: i * 300,
  }));
  const fields = 100_000;
  const buffer = Buffer.allocUnsafe(fields * 12);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  const timings = {
    encodeRows: () => encodeRows(placed),
    float8BufferMethods: () => {
      for (let i = 0, at = 0; i < fields; i += 1) at = buffer.writeDoubleBE(i * 1.5, buffer.writeInt32BE(8, at));
    },
    float8DataView: () => {
      for (let i = 0, at = 0; i < fields; i += 1, at += 12) {
        view.setInt32(at, 8);
        view.setFloat64(at + 4, i * 1.5);
      }
    },
  };
  const totals = { encodeRows: 0, float8BufferMethods: 0, float8DataView: 0 };
  const rounds = 40;
  for (let pass = 0; pass < 4; pass += 1) {
    for (const [name, run] of Object.entries(timings) as [keyof typeof totals, () => unknown][]) {
      const start = cpuMicros();
      for (let r = 0; r < rounds; r += 1) run();
      // the first pass warms V8 up
      if (pass > 0) totals[name] += cpuMicros() - start;
    }
  }
  const per = (micros: number, units: number) => round(micros / (3 * rounds * units));
  return {
    microsecondsPerReading: { encodeRows: per(totals.encodeRows, placed.length) },
    nanosecondsPerFloat8Field: { bufferMethods: per(totals.float8BufferMethods * 1000, fields), dataView: per(totals.float8DataView * 1000, fields) },
  };
}

async function publishes() {
  const count = 100_000;
  const body = payload(1);
  const mac = crypto.randomBytes(32).toString('base64url');
  const packets = Buffer.concat(
    Array.from({ length: count }, (_, i) => [publishHeader(telemetryTopic('bench', `D${100_000_000_000 + (i % 10_000)}`, 'se'), body.length, 1, (i % 65_535) + 1, mac), body]).flat(),
  );
  let send: (() => void) | null = null;
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]))); // CONNACK, MQTT 5
    send = () => socket.write(packets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  let received = 0;
  const onMessage = () => (received += 1);
  const mqttJs = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, keepalive: 0, log: () => undefined });
  // the worker's PUBACKs did not go through MQTT.js's encoder: left out here too
  const internals = mqttJs as unknown as { _sendPacket: (packet: { cmd: string }, cb?: () => void) => void };
  const sendPacket = internals._sendPacket.bind(mqttJs);
  internals._sendPacket = (packet, cb) => (packet.cmd === 'puback' ? cb?.() : sendPacket(packet, cb));
  mqttJs.on('message', onMessage);
  const sendToMqttJs = send!;
  const readerClient = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, keepalive: 0, manualConnect: true, log: () => undefined });
  readPublishes(readerClient, onMessage);
  readerClient.connect();
  await new Promise((resolve) => readerClient.once('connect', resolve));
  const sendToReader = send!;
  const receive = async (write: () => void) => {
    received = 0;
    const start = cpuMicros();
    write();
    while (received < count) await new Promise(setImmediate);
    return cpuMicros() - start;
  };
  try {
    const totals = { mqttJs: 0, publishReader: 0 };
    for (let pass = 0; pass < 3; pass += 1) {
      totals.mqttJs += await receive(sendToMqttJs);
      totals.publishReader += await receive(sendToReader);
    }
    const per = (micros: number) => round(micros / (3 * count));
    return { messages: count, payloadBytes: body.length, microsecondsPerMessage: { mqttJs: per(totals.mqttJs), publishReader: per(totals.publishReader) } };
  } finally {
    await mqttJs.endAsync(true);
    await readerClient.endAsync(true);
    server.close();
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  console.log(JSON.stringify({ bench: 'micro', node: process.version, archive: [await archive(10), await archive(50)], series: series(), hmac: hmac(), messages: messages(), copyRows: copyRows(), latest: await latestReadings(), publishes: await publishes() }));
}

main().catch((error: unknown) => {
  console.error(`bench:micro: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
