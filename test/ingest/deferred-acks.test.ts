import crypto from 'node:crypto';
import mqtt from 'mqtt';
import { DeferredAcks } from '../../subgraphs/device/ingest/deferred-acks';
import { testConfig } from '../helpers/config';

const config = testConfig();
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

describe('DeferredAcks flow control', () => {
  it('reads no further message while `limit` are held, and resumes as they are acknowledged', async () => {
    const id = crypto.randomBytes(4).toString('hex');
    // the broker is told 1,000: what holds the worker to 10 is the paused reading
    const subscriber = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: `acks-${id}`, properties: { receiveMaximum: 1000 } });
    const publisher = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5 });
    try {
      const acks = new DeferredAcks(subscriber, 10);
      const held: (() => void)[] = [];
      subscriber.on('message', (_topic, _payload, packet) => held.push(acks.hold(packet)));
      await subscriber.subscribeAsync(`acks/${id}/#`, { qos: 1 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publishAsync(`acks/${id}/${i}`, 'x', { qos: 1 })));
      await settle();
      expect(held).toHaveLength(10);
      expect(acks.pausing).toBe(true);

      for (const ack of held.slice(0, 5)) ack();
      await settle();
      expect(held).toHaveLength(15);

      for (let round = 0; round < 10 && held.length < 50; round += 1) {
        for (const ack of held.slice()) ack();
        await settle();
      }
      expect(held).toHaveLength(50);
      for (const ack of held) ack();
      expect(acks.pending).toBe(0);
      expect(acks.pausing).toBe(false);
    } finally {
      await publisher.endAsync();
      await subscriber.endAsync();
    }
  });

  it('acknowledges exactly the released messages to the broker: a resumed session gets only the others again', async () => {
    const id = crypto.randomBytes(4).toString('hex');
    const options = { protocolVersion: 5 as const, clientId: `acks-session-${id}`, clean: false, properties: { sessionExpiryInterval: 60 } };
    const publisher = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5 });
    let subscriber = await mqtt.connectAsync(config.MQTT_URL, options);
    try {
      const acks = new DeferredAcks(subscriber);
      const held = new Map<string, () => void>();
      subscriber.on('message', (topic, _payload, packet) => held.set(topic, acks.hold(packet)));
      await subscriber.subscribeAsync(`acks/${id}/#`, { qos: 1 });
      const topics = Array.from({ length: 20 }, (_, i) => `acks/${id}/${i}`);
      await Promise.all(topics.map((topic) => publisher.publishAsync(topic, 'x', { qos: 1 })));
      await settle();
      expect(held.size).toBe(20);
      // released together, as a committed batch is: one write of 12 PUBACKs
      for (const topic of topics.slice(0, 12)) held.get(topic)!();
      expect(acks.pending).toBe(8);
      await settle();
      await subscriber.endAsync();

      // listening before the session resumes: the broker sends what it kept right after CONNACK
      const redelivered: string[] = [];
      subscriber = mqtt.connect(config.MQTT_URL, options);
      subscriber.on('message', (topic) => redelivered.push(topic));
      await new Promise((resolve) => subscriber.once('connect', resolve));
      await settle();
      expect(redelivered.sort()).toEqual(topics.slice(12).sort());
    } finally {
      await publisher.endAsync();
      await subscriber.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    }
  });
});
