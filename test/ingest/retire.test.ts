import mqtt from 'mqtt';
import { ingestRetire, ingestWorkers } from '../../bin/cli/ingest';
import type { CommandContext } from '../../bin/cli/command';
import { InputError } from '../../lib/input-error';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { ingestHarness, publish, simulated, storedCount, waitFor } from './harness';

const h = ingestHarness();
afterAll(() => h.close());

const ctx: CommandContext = { config: h.config, pool: () => h.pool };
type Listed = { items: { clientId: string; group: string; running: boolean }[] };

describe('ingest retire: a worker taken out of service hands over its share', () => {
  it('stores what the broker queued for the stopped worker, ends its session, and the rest of the group then gets everything', async () => {
    const staying = `${h.region}-staying`;
    const leaving = `${h.region}-leaving`;
    h.forget(staying);
    h.forget(leaving);
    await h.startWorker({ clientId: staying });
    const retired = await h.startWorker({ clientId: leaving });
    const listed = (await ingestWorkers.run(ctx, {})) as Listed;
    expect(listed.items.filter((item) => item.clientId === staying || item.clientId === leaving).map((item) => item.running)).toEqual([true, true]);
    await retired.stop();
    const stopped = (await ingestWorkers.run(ctx, {})) as Listed;
    expect(stopped.items.find((item) => item.clientId === leaving)).toMatchObject({ running: false });

    const device = await h.device(3);
    const sim = simulated(device, { bootSeq: 1, seq: 0 });
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000) - 900;
    for (let i = 0; i < 40; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
    }
    // the broker hands the stopped member its share: those wait in its session
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const beforeRetire = await storedCount(h.pool, device.deviceId);
    expect(beforeRetire).toBeLessThan(40);

    // a running worker is not taken over by mistake
    await expect(ingestRetire.run(ctx, { 'client-id': staying })).rejects.toThrow(InputError);
    await expect(ingestRetire.run(ctx, { 'client-id': staying })).rejects.toThrow(/is running .*stop it first/);
    const result = (await ingestRetire.run(ctx, { 'client-id': leaving, 'idle-seconds': '2' })) as Record<string, unknown>;
    expect(result).toMatchObject({ clientId: leaving, sessionEnded: true });
    expect(result.received).toBe(40 - beforeRetire);
    expect(await storedCount(h.pool, device.deviceId)).toBe(40);

    // the session is gone: every later reading goes to the worker that stays
    for (let i = 40; i < 50; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
    }
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 50, 'all 10 later readings', 5000);
    const after = (await ingestWorkers.run(ctx, {})) as Listed;
    expect(after.items.map((item) => item.clientId)).toContain(staying);
    expect(after.items.map((item) => item.clientId)).not.toContain(leaving);

    // and the broker no longer has it: resuming that client id finds no session
    const present = await new Promise<boolean>((resolve, reject) => {
      const probe = mqtt.connect(h.config.MQTT_URL, { protocolVersion: 5, clientId: leaving, clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } });
      probe.once('connect', (connack) => {
        resolve(connack.sessionPresent);
        probe.end();
      });
      probe.once('error', reject);
    });
    expect(present).toBe(false);
  });

  it('refuses what it cannot act on, with the option named', async () => {
    await expect(ingestRetire.run(ctx, { 'client-id': 'no such worker' })).rejects.toThrow(/--client-id/);
    await expect(ingestRetire.run(ctx, { 'client-id': `${h.region}-unknown` })).rejects.toThrow(/--group is required/);
    await expect(ingestRetire.run(ctx, { 'client-id': `${h.region}-unknown`, group: 'a/b' })).rejects.toThrow(/--group must be/);
    await expect(ingestRetire.run(ctx, { 'client-id': `${h.region}-unknown`, group: 'g', region: '#' })).rejects.toThrow(/--region must be/);
  });
});
