import crypto from 'node:crypto';
import http from 'node:http';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { closeServer, listen } from '../../lib/http';
import { operatorScope } from '../../lib/tenant-scope';
import { registerDevicesWithKeys, type RegisteredDevice } from '../../subgraphs/device/provisioning';
import { createTenant, type TenantRow } from '../../subgraphs/tenancy/store';

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');

/**
 * A tenant in a region of its own (so its devices' MQTT topics are this test's alone,
 * whatever else runs on the broker), with devices of the standard model.
 */
export async function regionTenant(pool: Pool, masterKey: Buffer, devices: number, parentId?: string): Promise<TenantRow & { devices: RegisteredDevice[] }> {
  const tenant = await createTenant(pool, operatorScope, { name: `dev ${hex(4)}`, region: parentId ? undefined : `zz${hex(5)}`, parentId: parentId ?? null });
  const serials = Array.from({ length: devices }, (_, i) => `S-${hex(4)}-${i}`);
  const registered = devices ? await registerDevicesWithKeys(pool, masterKey, { tenantId: tenant.id, model: 'WW-6M', serials, channels: 6 }) : [];
  return { ...tenant, devices: registered };
}

export async function connectMqtt(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 5, clientId: `test-${hex(6)}`, clean: true, reconnectPeriod: 0 });
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** Everything published on `filter` from now on. */
export async function record(client: MqttClient, filter: string): Promise<Received[]> {
  const received: Received[] = [];
  const pattern = new RegExp(`^${filter.replace(/\+/g, '[^/]+').replace(/#$/, '.*')}$`);
  client.on('message', (topic, payload, packet) => {
    if (pattern.test(topic)) received.push({ topic, payload, packet });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return received;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Hook {
  url: string;
  /** Requests answered 2xx, in order. */
  delivered: { headers: http.IncomingHttpHeaders; body: string }[];
  /** Every request, whatever the answer. */
  requests: number;
  close(): Promise<void>;
}

/** A partner's endpoint on 127.0.0.1 that answers 500 to its first `failures` requests. */
export async function webhookReceiver(failures = 0): Promise<Hook> {
  const hook = { delivered: [] as Hook['delivered'], requests: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hook.requests += 1;
      if (hook.requests <= failures) {
        res.writeHead(500).end('not now');
        return;
      }
      hook.delivered.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return Object.assign(hook, { url: `http://127.0.0.1:${port}/hooks/${hex(4)}`, close: () => closeServer(server) });
}
