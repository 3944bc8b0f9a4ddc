import crypto from 'node:crypto';
import { createPool, statementCount } from '../../lib/postgres';
import { DeviceDirectory, UNKNOWN_TTL_MS } from '../../subgraphs/device/ingest/device-keys';
import { rotateDeviceKeys } from '../../subgraphs/device/keys.store';
import { testConfig } from '../helpers/config';
import { createTestTenant, provisionTestDevice } from '../helpers/devices';

const config = testConfig();
const pool = createPool(config.DATABASE_URL, { service: 'directory-test', max: 2, countStatements: true });
const region = `dd${crypto.randomBytes(4).toString('hex')}`;
const key = (base64url: string) => Buffer.from(base64url, 'base64url');

afterAll(() => pool.end());

describe('DeviceDirectory', () => {
  it('loads the whole region at start, page by page, then answers without a query per device', async () => {
    const tenantId = await createTestTenant(pool, region);
    const devices = [];
    for (let i = 0; i < 5; i += 1) devices.push(await provisionTestDevice(pool, config.masterKey, { tenantId, region }));
    const elsewhere = await provisionTestDevice(pool, config.masterKey, { tenantId: await createTestTenant(pool, `${region}x`), region: `${region}x` });

    const directory = new DeviceDirectory(pool, config.masterKey, { region, pageSize: 2 });
    expect(await directory.warm()).toBe(5);
    const before = statementCount();
    for (const device of devices) expect((await directory.get(device.deviceId))?.dataKeys).toEqual([key(device.dataKey)]);
    expect(statementCount()).toBe(before);
    // another region's device is not preloaded, but still found on demand
    expect((await directory.get(elsewhere.deviceId))?.region).toBe(`${region}x`);
  });

  it('picks up new devices and rotated keys on refresh; the previous key ends with its overlap', async () => {
    const tenantId = await createTestTenant(pool, `${region}r`);
    const device = await provisionTestDevice(pool, config.masterKey, { tenantId, region: `${region}r` });
    const directory = new DeviceDirectory(pool, config.masterKey, { region: `${region}r` });
    await directory.warm();

    const added = await provisionTestDevice(pool, config.masterKey, { tenantId, region: `${region}r` });
    const rotated = await rotateDeviceKeys(pool, config.masterKey, device.deviceId, 1);
    expect(await directory.refresh()).toBeGreaterThanOrEqual(2);
    const before = statementCount();
    expect((await directory.get(added.deviceId))?.dataKeys).toEqual([key(added.dataKey)]);
    expect((await directory.get(device.deviceId))?.dataKeys).toEqual([key(rotated.dataKey), key(device.dataKey)]);
    expect(statementCount()).toBe(before);

    // the look-back minute is listed again, but nothing in it moved: nothing reopened
    const cached = await directory.get(added.deviceId);
    expect(await directory.refresh()).toBe(0);
    expect(await directory.get(added.deviceId)).toBe(cached);
    const again = await rotateDeviceKeys(pool, config.masterKey, added.deviceId, 1);
    expect(await directory.refresh()).toBe(1);
    expect((await directory.get(added.deviceId))?.dataKeys).toEqual([key(again.dataKey), key(added.dataKey)]);

    await new Promise((resolve) => setTimeout(resolve, rotated.previousValidUntil.getTime() - Date.now() + 50));
    expect((await directory.get(device.deviceId))?.dataKeys).toEqual([key(rotated.dataKey)]);
  });

  it('remembers an unknown id briefly: a burst costs one query, and a device registered just after is found', async () => {
    const tenantId = await createTestTenant(pool, `${region}u`);
    const directory = new DeviceDirectory(pool, config.masterKey, { region: `${region}u` });
    await directory.warm();
    // the id the next registration will get (tests of a run go one at a time)
    const { rows } = await pool.query<{ n: string }>("select nextval('fleet.device_number')::text as n");
    const next = `D${String(Number(rows[0]!.n) + 1).padStart(12, '0')}`;
    const before = statementCount();
    expect(await Promise.all([directory.get(next), directory.get(next)])).toEqual([null, null]);
    expect(await directory.get(next)).toBeNull();
    expect(statementCount() - before).toBe(1);

    const device = await provisionTestDevice(pool, config.masterKey, { tenantId, region: `${region}u` });
    expect(device.deviceId).toBe(next);
    await new Promise((resolve) => setTimeout(resolve, UNKNOWN_TTL_MS + 50));
    expect((await directory.get(next))?.dataKeys).toEqual([key(device.dataKey)]);
  });
});
