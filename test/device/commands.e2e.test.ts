import crypto from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { createApiKey } from '../../auth/api-keys.store';
import { operatorScope } from '../../lib/tenant-scope';
import { maintenanceMac } from '../../subgraphs/device/command-message';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { startMaintenanceResponder, type MaintenanceResponder } from '../../subgraphs/device/simulator/maintenance-responder';
import { verifySignature } from '../../subgraphs/device/webhooks/signature';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf } from '../helpers/tenants';
import { connectMqtt, record, regionTenant, waitFor, webhookReceiver, type Hook } from './fixtures';

const SET_CT = `mutation ($d: ID!, $c: Int!, $a: Int!) { setChannelCtRating(deviceId: $d, channel: $c, ctRating: $a) { id type status issuedAt expiresAt requestedBy clientId } }`;
const COMMANDS = `query ($d: ID!) { device(id: $d) { channels { index ctRating } commands(last: 10) { id type status detail completedAt history { status source } } } }`;

let platform: Platform;
let tenant: Awaited<ReturnType<typeof regionTenant>>;
let other: Awaited<ReturnType<typeof regionTenant>>;
let control: string;
let monitoring: string;
let otherControl: string;
let admin: string;
let device: MqttClient;
let hook: Hook;
let webhookSecret: string;

const key = (text: string) => Buffer.from(text, 'base64url');
type Command = { id: string; type: string; status: string; detail: string | null; history: { status: string; source: string }[] };

async function commandsOf(deviceId: string): Promise<{ channels: { index: number; ctRating: number }[]; commands: Command[] }> {
  const result = await platform.query(control, COMMANDS, { d: deviceId });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.device as never;
}

async function statusOf(deviceId: string, commandId: string): Promise<string | undefined> {
  return (await commandsOf(deviceId)).commands.find((command) => command.id === commandId)?.status;
}

beforeAll(async () => {
  platform = await startPlatform({ REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? ''}t${crypto.randomBytes(4).toString('hex')}:`, COMMAND_TTL: '3', COMMAND_SWEEP_MS: '200', WEBHOOK_BACKOFF_MS: '50' });
  const { pool, config } = platform;
  tenant = await regionTenant(pool, config.masterKey, 3);
  other = await regionTenant(pool, config.masterKey, 1);
  const token = async (tenantId: string, scopes: string[], isControl: boolean) => {
    const client = await clientOf(pool, config.masterKey, tenantId, scopes, isControl);
    return clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, scopes.join(' '));
  };
  control = await token(tenant.id, ['fleet:read', 'device:control', 'device:firmware'], true);
  monitoring = await token(tenant.id, ['fleet:read', 'telemetry:read'], false);
  otherControl = await token(other.id, ['fleet:read', 'device:control'], true);
  admin = await token(tenant.id, ['tenancy:read', 'tenancy:admin'], false);
  device = await connectMqtt(config.MQTT_URL);
  hook = await webhookReceiver();
  const created = await platform.query(admin, `mutation ($t: ID!, $u: String!) { createWebhook(tenantId: $t, url: $u, events: ["device.channel.updated"]) { webhook { id events } secret } }`, { t: tenant.id, u: hook.url });
  expect(created.body.errors).toBeUndefined();
  webhookSecret = (created.body.data!.createWebhook as { secret: string }).secret;
});

afterAll(async () => {
  await device?.endAsync();
  await hook?.close();
  await platform?.close();
});

describe('maintenance commands through the gateway', () => {
  let responder: MaintenanceResponder | undefined;
  afterEach(async () => {
    await responder?.stop();
    responder = undefined;
  });

  it('signs the command with the maintenance key, and the signed answer applies it, changes the channel and tells the webhook', async () => {
    const target = tenant.devices[0]!;
    const seen = await record(device, `maintenance/v1/${target.region}/${target.id}/cmd`);
    responder = await startMaintenanceResponder(device, [{ deviceId: target.id, region: target.region, maintenanceKey: key(target.maintenanceKey) }]);

    const sent = await platform.query(control, SET_CT, { d: target.id, c: 2, a: 200 });
    expect(sent.body.errors).toBeUndefined();
    const command = sent.body.data!.setChannelCtRating as { id: string; type: string; status: string; requestedBy: string; clientId: string };
    expect(command).toMatchObject({ type: 'setCtRating' });
    expect(['SENT', 'APPLIED']).toContain(command.status);

    const [message] = await waitFor('the command on the device topic', () => (seen.length ? seen : null));
    const body = JSON.parse(message!.payload.toString('utf8'));
    expect(body).toMatchObject({ v: 1, id: command.id, type: 'setCtRating', params: { channel: 2, ctRating: 200 } });
    expect(body.expiresAt - body.issuedAt).toBe(3);
    const mac = message!.packet.properties?.userProperties?.mac;
    expect(mac).toBe(maintenanceMac(key(target.maintenanceKey), message!.payload));
    expect(mac).not.toBe(maintenanceMac(key(target.dataKey), message!.payload));
    expect(message!.packet.properties?.responseTopic).toBe(`maintenance/v1/${target.region}/${target.id}/res`);
    expect(message!.packet.properties?.correlationData?.toString()).toBe(command.id);
    expect(message!.packet.qos).toBe(1);

    await waitFor('APPLIED', async () => (await statusOf(target.id, command.id)) === 'APPLIED');
    const after = await waitFor('the new CT rating', async () => {
      const state = await commandsOf(target.id);
      return state.channels.find((channel) => channel.index === 2)?.ctRating === 200 ? state : null;
    });
    expect(after.channels.filter((channel) => channel.ctRating === 200).map((channel) => channel.index)).toEqual([2]);
    // SENT comes from the broker's PUBACK or, when the device answered first, from the answer
    expect(after.commands[0]!.history.map((step) => step.status)).toEqual(['PENDING', 'SENT', 'APPLIED']);
    expect(after.commands[0]!.history.map((step) => step.source)).toEqual(['api', expect.stringMatching(/^(broker|device)$/), 'device']);

    const [delivery] = await waitFor('the webhook delivery', () => (hook.delivered.length ? hook.delivered : null));
    const event = JSON.parse(delivery!.body);
    expect(event).toMatchObject({ type: 'device.channel.updated', tenantId: tenant.id, deviceId: target.id, data: { channel: 2, ctRating: 200, commandId: command.id } });
    expect(verifySignature(webhookSecret, String(delivery!.headers['cypernex-signature']), delivery!.body)).toBe(true);
    expect(verifySignature('whsec_wrong', String(delivery!.headers['cypernex-signature']), delivery!.body)).toBe(false);

    const listed = await platform.query(admin, `{ webhooks { url deliveries { eventType status attempts { attempt statusCode } } } }`);
    expect(listed.body.data).toEqual({ webhooks: [{ url: hook.url, deliveries: [{ eventType: 'device.channel.updated', status: 'DELIVERED', attempts: [{ attempt: 1, statusCode: 204 }] }] }] });
  });

  it('refuses a monitoring token, an API key and a control token of another tenant, and publishes nothing', async () => {
    const target = tenant.devices[1]!;
    const seen = await record(device, `maintenance/v1/${target.region}/+/cmd`);
    const monitoringTry = await platform.query(monitoring, SET_CT, { d: target.id, c: 0, a: 120 });
    expect(monitoringTry.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    const apiKey = await createApiKey(platform.pool, platform.config.masterKey, operatorScope, { tenantId: tenant.id, scopes: ['fleet:read'] });
    const keyTry = await platform.query(null, SET_CT, { d: target.id, c: 0, a: 120 }, { 'x-api-key': apiKey.key });
    expect(keyTry.body.data?.setChannelCtRating ?? null).toBeNull();
    expect(keyTry.body.errors?.length).toBeGreaterThan(0);
    const foreign = await platform.query(otherControl, SET_CT, { d: target.id, c: 0, a: 120 });
    const missing = await platform.query(otherControl, SET_CT, { d: 'D999999999999', c: 0, a: 120 });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.body.errors?.[0]?.message).toBe(missing.body.errors?.[0]?.message.replace('D999999999999', target.id));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen).toEqual([]);
    expect((await commandsOf(target.id)).commands).toEqual([]);
  });

  it('validates parameters against the device', async () => {
    const target = tenant.devices[1]!;
    const codes = async (query: string, variables: Record<string, unknown>) => (await platform.query(control, query, variables)).body.errors?.map((e) => e.extensions?.code);
    expect(await codes(SET_CT, { d: target.id, c: 2, a: 100 })).toEqual(['BAD_USER_INPUT']);
    expect(await codes(SET_CT, { d: target.id, c: 6, a: 200 })).toEqual(['BAD_USER_INPUT']);
    expect(await codes(`mutation ($d: ID!) { setReportingInterval(deviceId: $d, seconds: 4) { id } }`, { d: target.id })).toEqual(['BAD_USER_INPUT']);
    expect(await codes(`mutation ($d: ID!) { setReportingInterval(deviceId: $d, seconds: 301) { id } }`, { d: target.id })).toEqual(['BAD_USER_INPUT']);
    expect(await codes(`mutation ($d: ID!) { requestFirmwareUpgrade(deviceId: $d, version: "latest; rm -rf") { id } }`, { d: target.id })).toEqual(['BAD_USER_INPUT']);
    expect((await commandsOf(target.id)).commands).toEqual([]);
  });

  it('ignores forged and uncorrelated answers, and expires a command nobody answers', async () => {
    const target = tenant.devices[2]!;
    const sent = await platform.query(control, `mutation ($d: ID!) { rebootDevice(deviceId: $d) { id status } }`, { d: target.id });
    const { id } = sent.body.data!.rebootDevice as { id: string };
    const res = `maintenance/v1/${target.region}/${target.id}/res`;
    const answer = (signingKey: string, correlation: string, payloadId = id) => {
      const payload = Buffer.from(JSON.stringify({ v: 1, id: payloadId, status: 'applied' }));
      return device.publishAsync(res, payload, { qos: 1, properties: { correlationData: Buffer.from(correlation), userProperties: { mac: maintenanceMac(key(signingKey), payload) } } });
    };
    await answer(target.dataKey, id);
    await answer(tenant.devices[0]!.maintenanceKey, id);
    const stranger = crypto.randomUUID();
    await answer(target.maintenanceKey, stranger, stranger);
    await answer(target.maintenanceKey, id, crypto.randomUUID());
    await answer(target.maintenanceKey, 'not-a-command');
    const reasons = await waitFor('the rejected answers', async () => {
      const { rows } = await platform.pool.query<{ reason: string }>('select reason from device.rejected_answers where device_id = $1 order by id', [target.id]);
      return rows.length >= 5 ? rows.map((row) => row.reason) : null;
    });
    // answers are handled concurrently: compare as a set
    expect(reasons.sort()).toEqual(['bad-mac', 'bad-mac', 'correlation-mismatch', 'no-correlation', 'unknown-command']);
    expect(await statusOf(target.id, id)).toBe('SENT');

    await waitFor('EXPIRED', async () => (await statusOf(target.id, id)) === 'EXPIRED', 8000);
    await answer(target.maintenanceKey, id);
    await waitFor('the late answer refused', async () => {
      const { rows } = await platform.pool.query('select 1 from device.rejected_answers where device_id = $1 and reason = $2', [target.id, 'not-open (EXPIRED)']);
      return rows.length > 0;
    });
    const [command] = (await commandsOf(target.id)).commands;
    expect(command).toMatchObject({ id, status: 'EXPIRED' });
    expect(command!.history.map((step) => step.status)).toEqual(['PENDING', 'SENT', 'EXPIRED']);
  });
});

describe('device events', () => {
  it('announces a registration and online/offline changes from the signed status to webhooks, and shows the status', async () => {
    const events = await webhookReceiver();
    try {
      const created = await platform.query(admin, `mutation ($t: ID!, $u: String!) { createWebhook(tenantId: $t, url: $u, events: ["device.registered", "device.status.changed"]) { secret } }`, { t: tenant.id, u: events.url });
      const secret = (created.body.data!.createWebhook as { secret: string }).secret;
      const [added] = await registerDevicesWithKeys(platform.pool, platform.config.masterKey, { tenantId: tenant.id, model: 'WW-6M', serials: [`S-${crypto.randomUUID()}`], channels: 6 });
      const typesOf = () => events.delivered.map((delivery) => JSON.parse(delivery.body) as { type: string; deviceId: string; data: Record<string, unknown> });
      await waitFor('device.registered', () => typesOf().some((event) => event.type === 'device.registered' && event.deviceId === added!.id));

      const status = (online: boolean, timestamp: number) => {
        const payload = Buffer.from(JSON.stringify({ v: 1, deviceId: added!.id, online, timestamp, firmwareVersion: '2.4.1', signalQualityDbm: -67 }));
        return device.publishAsync(`telemetry/v1/${added!.region}/${added!.id}/status`, payload, { qos: 1, retain: true, properties: { userProperties: { mac: maintenanceMac(key(added!.dataKey), payload) } } });
      };
      const now = Math.floor(Date.now() / 1000);
      await status(true, now);
      const shown = await waitFor('online', async () => {
        const result = await platform.query(control, `query ($d: ID!) { device(id: $d) { status { online firmwareVersion signalQualityDbm lastSeenAt } } }`, { d: added!.id });
        const value = (result.body.data?.device as { status: { online: boolean } } | null)?.status;
        return value?.online ? value : null;
      });
      expect(shown).toMatchObject({ online: true, firmwareVersion: '2.4.1', signalQualityDbm: -67 });
      await status(true, now + 1);
      await status(false, now + 2);
      await waitFor('offline announced', () => typesOf().some((event) => event.type === 'device.status.changed' && event.data.online === false));
      const changes = typesOf().filter((event) => event.type === 'device.status.changed').map((event) => event.data.online);
      expect(changes).toEqual([true, false]);
      for (const delivery of events.delivered) expect(verifySignature(secret, String(delivery.headers['cypernex-signature']), delivery.body)).toBe(true);
      // clear the retained message: it belongs to this test only
      await device.publishAsync(`telemetry/v1/${added!.region}/${added!.id}/status`, '', { qos: 1, retain: true });
    } finally {
      await events.close();
    }
  });
});
