import crypto from 'node:crypto';
import { Duplex } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { MqttProtocolError, publishHeader, varintLength, writeVarint, type Publish } from '../../subgraphs/device/mqtt-wire';
import { PublishReader, readPublishes } from '../../subgraphs/device/ingest/publish-reader';
import { testConfig } from '../helpers/config';

const config = testConfig();
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** A socket whose received bytes the test pushes, and whose written bytes it keeps. */
function fakeSocket() {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  return { socket, written };
}

/** What MQTT.js would read from the reader (the packets passed through). */
function passedThrough(reader: PublishReader): Buffer[] {
  const chunks: Buffer[] = [];
  reader.on('data', (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

const publish = (topic: string, payload: string, qos: 0 | 1, id: number, mac = 'm'.repeat(43)) =>
  Buffer.concat([publishHeader(topic, Buffer.byteLength(payload), qos, id, mac), Buffer.from(payload)]);

/** A PUBLISH with the given properties bytes (after the property length). */
function publishWithProperties(topic: string, properties: Buffer, payload: string, header = 0x32): Buffer {
  const topicBytes = Buffer.from(topic);
  const body = Buffer.concat([Buffer.from([topicBytes.length >> 8, topicBytes.length & 0xff]), topicBytes, Buffer.from([0, 7, properties.length]), properties, Buffer.from(payload)]);
  const fixed = Buffer.alloc(1 + varintLength(body.length), header);
  writeVarint(fixed, body.length, 1);
  return Buffer.concat([fixed, body]);
}
const string = (text: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(text)]), Buffer.from(text)]);

describe('PublishReader: PUBLISH packets read from the bytes', () => {
  it('reads every PUBLISH however the reads split it, and passes the other packets to MQTT.js unchanged', async () => {
    const pingresp = Buffer.from([0xd0, 0]);
    const suback = Buffer.from([0x90, 4, 0, 1, 0, 1]);
    const stream = Buffer.concat([
      publish('telemetry/v1/au/D100000000001/se', '{"seq":1}', 1, 1),
      pingresp,
      publish('telemetry/v1/au/D100000000002/se', 'x'.repeat(300), 0, 0, 'mac-2'),
      suback,
      publish('telemetry/v1/au/D100000000003/status', '', 1, 65_535),
    ]);
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const { socket } = fakeSocket();
      const received: Publish[] = [];
      const reader = new PublishReader(socket, (message) => received.push({ ...message, payload: Buffer.from(message.payload) }));
      const control = passedThrough(reader);
      for (let at = 0; at < stream.length; at += size) socket.emit('data', stream.subarray(at, at + size));
      expect(received.map((m) => [m.topic, m.payload.toString(), m.qos, m.messageId, m.mac])).toEqual([
        ['telemetry/v1/au/D100000000001/se', '{"seq":1}', 1, 1, 'm'.repeat(43)],
        ['telemetry/v1/au/D100000000002/se', 'x'.repeat(300), 0, 0, 'mac-2'],
        ['telemetry/v1/au/D100000000003/status', '', 1, 65_535, 'm'.repeat(43)],
      ]);
      await new Promise(setImmediate);
      expect(Buffer.concat(control)).toEqual(Buffer.concat([pingresp, suback]));
      expect(reader.destroyed).toBe(false);
    }
  });

  it('reads a PUBLISH of megabytes split over many reads, joining its reads once', () => {
    const big = publish('telemetry/v1/au/D100000000001/se', 'x'.repeat(3_000_000), 1, 9);
    const small = publish('telemetry/v1/au/D100000000002/se', 'after', 1, 10);
    const stream = Buffer.concat([big, small]);
    const { socket } = fakeSocket();
    const received: Publish[] = [];
    new PublishReader(socket, (message) => received.push(message));
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      for (let at = 0; at < stream.length; at += 65_536) socket.emit('data', stream.subarray(at, at + 65_536));
      // once for the big packet: joining at every read copied it 46 times over
      expect(concat).toHaveBeenCalledTimes(1);
    } finally {
      concat.mockRestore();
    }
    expect(received.map((m) => [m.messageId, m.payload.length])).toEqual([
      [9, 3_000_000],
      [10, 5],
    ]);
    expect(received[0]!.payload.equals(Buffer.from('x'.repeat(3_000_000)))).toBe(true);
  });

  it('skips the other properties a broker may forward and keeps every `mac`', () => {
    const properties = Buffer.concat([
      Buffer.from([0x01, 1]), // payload format indicator
      Buffer.from([0x02, 0, 0, 0, 60]), // message expiry
      Buffer.from([0x03]),
      string('application/json'),
      Buffer.from([0x08]),
      string('reply/here'),
      Buffer.from([0x09, 0, 2, 0xff, 0x00]), // correlation data
      Buffer.from([0x0b, 0x81, 0x01]), // subscription identifier 129
      Buffer.from([0x26]),
      string('note'),
      string('mac'),
      Buffer.from([0x26]),
      string('mac'),
      string('first'),
      Buffer.from([0x26]),
      string('mac'),
      string('second'),
    ]);
    const { socket } = fakeSocket();
    const received: Publish[] = [];
    new PublishReader(socket, (message) => received.push(message));
    socket.emit('data', publishWithProperties('telemetry/v1/au/D100000000001/se', properties, 'payload'));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ topic: 'telemetry/v1/au/D100000000001/se', qos: 1, messageId: 7, mac: ['first', 'second'] });
    expect(received[0]!.payload.toString()).toBe('payload');
  });

  it.each([
    ['QoS 2', publishWithProperties('t', Buffer.alloc(0), 'x', 0x34)],
    ['a topic alias', publishWithProperties('t', Buffer.from([0x23, 0, 1]), 'x')],
    ['an empty topic', publishWithProperties('', Buffer.alloc(0), 'x')],
    ['a property not allowed on PUBLISH', publishWithProperties('t', Buffer.from([0x11, 0, 0, 0, 1]), 'x')],
    ['a property longer than the properties', publishWithProperties('t', Buffer.from([0x03, 0, 9, 0x61]), 'x')],
    ['a remaining length of five bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ])('closes the connection on %s, as MQTT.js does on a parse error', async (_case, packet) => {
    const { socket } = fakeSocket();
    const received: Publish[] = [];
    const reader = new PublishReader(socket, (message) => received.push(message));
    const failed = new Promise<Error>((resolve) => reader.once('error', resolve));
    socket.emit('data', packet);
    expect(await failed).toBeInstanceOf(MqttProtocolError);
    expect(received).toEqual([]);
    expect(socket.destroyed).toBe(true);
  });

  it('writes the PUBACKs released together as one write, and none after the connection closed', async () => {
    const { socket, written } = fakeSocket();
    const releases: (() => void)[] = [];
    const reader = new PublishReader(socket, (message, from) => releases.push(from.hold(message)));
    socket.emit('data', Buffer.concat([publish('a', '1', 1, 10), publish('b', '2', 1, 11), publish('c', '3', 0, 0), publish('d', '4', 1, 300)]));
    expect(reader.pending).toBe(3);
    for (const release of releases) release();
    releases[0]!(); // twice: still one PUBACK
    await Promise.resolve();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 10, 0x40, 2, 0, 11, 0x40, 2, 1, 44])]);
    expect(reader.pending).toBe(0);

    socket.emit('data', publish('e', '5', 1, 12));
    reader.destroy();
    releases.at(-1)!();
    await Promise.resolve();
    expect(written).toHaveLength(1);
  });
});

/** An MQTT.js client whose connections go through PublishReaders, connected. */
async function readingClient(options: mqtt.IClientOptions, onPublish: (publish: Publish, reader: PublishReader) => void, limit?: number) {
  const client = mqtt.connect(config.MQTT_URL, { ...options, protocolVersion: 5, manualConnect: true });
  const connection = readPublishes(client, onPublish, limit);
  const connected = new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  client.connect();
  await connected;
  return { client, reader: () => connection.current()! };
}

describe('PublishReader with Mosquitto', () => {
  it('reads no further message while `limit` are held, and resumes as they are acknowledged', async () => {
    const id = crypto.randomBytes(4).toString('hex');
    const publisher = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5 });
    // the broker is told 1,000: what holds the reader to 10 is the unread socket
    const held: (() => void)[] = [];
    const { client, reader } = await readingClient({ clientId: `acks-${id}`, properties: { receiveMaximum: 1000 } }, (message, from) => held.push(from.hold(message)), 10);
    try {
      await client.subscribeAsync(`acks/${id}/#`, { qos: 1 });
      // 8 KiB each: the 50 cannot come in one socket read (64 KiB at most), which a reader
      // late to the socket got when they were a few bytes each (all 50 held, once in a full test run)
      const body = Buffer.alloc(8192, 'x');
      await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publishAsync(`acks/${id}/${i}`, body, { qos: 1 })));
      await settle();
      // the read that reached the limit is read to its end: a few more than 10 at most
      expect(held.length).toBeGreaterThanOrEqual(10);
      expect(held.length).toBeLessThan(50);
      expect(reader().pausing).toBe(true);

      const before = held.length;
      for (const ack of held.slice()) ack();
      await settle();
      expect(held.length).toBeGreaterThan(before);

      for (let round = 0; round < 20 && held.length < 50; round += 1) {
        for (const ack of held.slice()) ack();
        await settle();
      }
      expect(held).toHaveLength(50);
      for (const ack of held) ack();
      await Promise.resolve();
      expect(reader().pending).toBe(0);
      expect(reader().pausing).toBe(false);
      // MQTT.js still handles what is not a PUBLISH
      await client.unsubscribeAsync(`acks/${id}/#`);
    } finally {
      await publisher.endAsync();
      await client.endAsync();
    }
  });

  it('acknowledges exactly the released messages to the broker: a resumed session gets only the others again', async () => {
    const id = crypto.randomBytes(4).toString('hex');
    const options = { clientId: `acks-session-${id}`, clean: false, properties: { sessionExpiryInterval: 60 } };
    const publisher = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5 });
    const held = new Map<string, () => void>();
    let subscriber: MqttClient | null = null;
    try {
      const first = await readingClient(options, (message, from) => held.set(message.topic, from.hold(message)));
      subscriber = first.client;
      await subscriber.subscribeAsync(`acks/${id}/#`, { qos: 1 });
      const topics = Array.from({ length: 20 }, (_, i) => `acks/${id}/${i}`);
      await Promise.all(topics.map((topic) => publisher.publishAsync(topic, 'x', { qos: 1 })));
      await settle();
      expect(held.size).toBe(20);
      // released together, as a committed batch is: one write of 12 PUBACKs
      for (const topic of topics.slice(0, 12)) held.get(topic)!();
      expect(first.reader().pending).toBe(8);
      await settle();
      await subscriber.endAsync();

      // reading before the session resumes: the broker sends what it kept right after CONNACK
      const redelivered: string[] = [];
      subscriber = (await readingClient(options, (message) => redelivered.push(message.topic))).client;
      await settle();
      expect(redelivered.sort()).toEqual(topics.slice(12).sort());
    } finally {
      await publisher.endAsync();
      await subscriber?.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    }
  });
});
