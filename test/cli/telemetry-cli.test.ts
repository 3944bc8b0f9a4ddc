import { readingMessage } from '../../subgraphs/device/simulator/message';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { deadLetterReasons, ingestHarness, publish, storedCount, waitFor, simulated } from '../ingest/harness';
import { runCli } from '../helpers/run-cli';

const h = ingestHarness();
afterAll(() => h.close());

describe('telemetry and ingest CLI', () => {
  it('lists dead letters and reports a reading altered after ingestion', async () => {
    await h.startWorker();
    const device = await h.device(3);
    const sim = simulated(device);
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000) - 120;
    for (let i = 0; i < 5; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), payload, mac);
    }
    await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), 'not json at all', 'AAAA');
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 5 && (await deadLetterReasons(h.pool, device.deviceId)).length === 1, 'readings and a dead letter');

    const letters = runCli(['ingest', 'deadletters', '--device', device.deviceId, '--json']);
    expect(letters.status).toBe(0);
    const { items } = JSON.parse(letters.stdout) as { items: { deviceId: string; reason: string; topic: string; receivedAt: string }[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ deviceId: device.deviceId, topic: telemetryTopic(device.region, device.deviceId, 'se') });
    expect(items[0]!.reason).toMatch(/mac|json/);

    const range = ['--device', device.deviceId, '--from', new Date((start - 1) * 1000).toISOString(), '--to', new Date((start + 60) * 1000).toISOString(), '--json'];
    const clean = runCli(['telemetry', 'verify', ...range]);
    expect(clean.status).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, checked: 5, mismatches: [] });

    await h.pool.query('update telemetry.readings set e_real[1] = e_real[1] + 1 where device_id = $1 and ts = to_timestamp($2)', [device.deviceId, start + 10]);
    const tampered = runCli(['telemetry', 'verify', ...range]);
    expect(tampered.status).toBe(1);
    const report = JSON.parse(tampered.stdout) as { ok: boolean; checked: number; mismatches: { timestamp: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checked).toBe(5);
    expect(report.mismatches.map((m) => m.timestamp)).toEqual([new Date((start + 10) * 1000).toISOString()]);

    expect(runCli(['telemetry', 'verify', '--device', 'nope', '--from', '2020-01-01', '--to', '2020-01-02', '--json']).status).toBe(2);
  });

  it('lists the workers\' sessions and retires a stopped one, printing JSON only on stdout', async () => {
    const clientId = `${h.region}-cli-retired`;
    h.forget(clientId);
    const worker = await h.startWorker({ clientId });
    type Listed = { items: { clientId: string; running: boolean; stoppedAt: string | null; sessionExpiresAt: string }[] };
    const listed = runCli(['ingest', 'workers', '--json']);
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout) as Listed).items.find((item) => item.clientId === clientId)).toMatchObject({ running: true, stoppedAt: null });

    const refused = runCli(['ingest', 'retire', '--client-id', clientId, '--json']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is running .*stop it first/);

    await worker.stop();
    const stopped = (JSON.parse(runCli(['ingest', 'workers', '--json']).stdout) as Listed).items.find((item) => item.clientId === clientId);
    expect(stopped).toMatchObject({ running: false });
    expect(Date.parse(stopped!.stoppedAt!)).toBeGreaterThan(Date.now() - 60_000);

    const retired = runCli(['ingest', 'retire', '--client-id', clientId, '--idle-seconds', '1', '--json']);
    expect(retired.stderr).toBe('');
    expect(retired.status).toBe(0);
    expect(JSON.parse(retired.stdout)).toMatchObject({ clientId, sessionEnded: true, received: 0 });
    const after = JSON.parse(runCli(['ingest', 'workers', '--json']).stdout) as { items: { clientId: string }[] };
    expect(after.items.map((item) => item.clientId)).not.toContain(clientId);
  });
});
