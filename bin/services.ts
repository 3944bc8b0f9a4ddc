import type { Config } from '../lib/config';

export interface ServiceSpec {
  name: string;
  /** Compiled entry point, relative to dist/. */
  entry: string;
  port: (config: Config) => number;
  /** What `npm start` prints for it. */
  describe: (config: Config) => string;
  /** Started once every other service is ready (it checks them in its own readiness). */
  last?: boolean;
}

const local = (config: Config, port: number, path = '') => `http://${config.HOST}:${port}${path}`;

/** Every service of the platform, each its own process (CONTRACT §2). */
export const services: ServiceSpec[] = [
  { name: 'auth', entry: 'auth/main.js', port: (c) => c.AUTH_PORT, describe: (c) => `${c.AUTH_ISSUER}  (discovery: /.well-known/openid-configuration)` },
  { name: 'tenancy', entry: 'subgraphs/tenancy/main.js', port: (c) => c.TENANCY_PORT, describe: (c) => `${local(c, c.TENANCY_PORT, '/graphql')}  (internal)` },
  { name: 'fleet', entry: 'subgraphs/fleet/main.js', port: (c) => c.FLEET_PORT, describe: (c) => `${local(c, c.FLEET_PORT, '/graphql')}  (internal)` },
  { name: 'telemetry', entry: 'subgraphs/telemetry/main.js', port: (c) => c.TELEMETRY_PORT, describe: (c) => `${local(c, c.TELEMETRY_PORT, '/graphql')}  (internal)` },
  { name: 'device', entry: 'subgraphs/device/main.js', port: (c) => c.DEVICE_PORT, describe: (c) => `${local(c, c.DEVICE_PORT, '/graphql')}  (internal)` },
  { name: 'ingest', entry: 'subgraphs/device/ingest/main.js', port: (c) => c.INGEST_PORT, describe: (c) => `${local(c, c.INGEST_PORT, '/metrics')}  (MQTT ${c.MQTT_URL})` },
  { name: 'gateway', entry: 'gateway/main.js', port: (c) => c.GATEWAY_PORT, describe: (c) => local(c, c.GATEWAY_PORT, '/graphql'), last: true },
];
