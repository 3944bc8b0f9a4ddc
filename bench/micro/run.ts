import crypto from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { PackedSeries, seriesMarker, unpackSeries } from '../../lib/series-wire';
import { packArchive } from '../../subgraphs/telemetry/archive';

/**
 * `node dist/bench/micro/run.js` (after a build): the small measurements behind design
 * choices in the ingestion worker and the gateway, in one process, CPU time per unit:
 *
 * - archive: compressing a batch's records per tenant blob, through the libuv pool (a
 *   stream per blob, as before) against synchronously with a 2 KiB window (packArchive),
 *   with 10 and 50 records per blob (100 tenants, batches of 1,000 and 5,000);
 * - series: a raw day's `readingSeries` answer (26 series of 17,280 numbers) as the
 *   gateway handles it, plain (parse and stringify every number) against packed (parse and
 *   stringify strings, then put the arrays back);
 * - hmac: one HMAC-SHA256 of a reading payload with a prepared key.
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
  let start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) {
    await Promise.all(blobs.map((blob) => deflateAsync(Buffer.concat(blob.flatMap((record) => [record.payload, record.mac])), { level: 1 })));
  }
  const pooled = (cpuMicros() - start) / rounds / records;
  start = cpuMicros();
  for (let r = 0; r < rounds; r += 1) for (const blob of blobs) packArchive(blob);
  const synchronous = (cpuMicros() - start) / rounds / records;
  return { recordsPerBlob: perBlob, microsecondsPerRecord: { libuvPool: round(pooled), synchronous2KiB: round(synchronous) } };
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
      gatewayParsePlain: time(() => JSON.parse(plainWire)),
      gatewayParsePacked: time(() => JSON.parse(packedWire)),
      gatewayStringifyPlain: time(() => JSON.stringify(plainParsed)),
      gatewayStringifyPacked: time(() => JSON.stringify(packedParsed)),
      gatewayUnpack: time(() => unpackSeries(packedOut, marker)),
    },
  };
}

function hmac() {
  const key = crypto.createSecretKey(crypto.randomBytes(32));
  const body = payload(1);
  const rounds = 200_000;
  const start = cpuMicros();
  for (let i = 0; i < rounds; i += 1) crypto.createHmac('sha256', key).update(body).digest();
  return { payloadBytes: body.length, microsecondsPerMac: round((cpuMicros() - start) / rounds) };
}

const round = (value: number) => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  console.log(JSON.stringify({ bench: 'micro', node: process.version, archive: [await archive(10), await archive(50)], series: series(), hmac: hmac() }));
}

main().catch((error: unknown) => {
  console.error(`bench:micro: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
