import type { GraphQLSchema } from 'graphql';
import { buildDeviceSchema } from '../subgraphs/device';
import { buildFleetSchema } from '../subgraphs/fleet';
import { buildTelemetrySchema } from '../subgraphs/telemetry';
import { buildTenancySchema } from '../subgraphs/tenancy';

export interface SubgraphEntry {
  /** The name in the supergraph (`join__Graph`). */
  name: string;
  /** The configuration key holding its URL (CONTRACT §2). */
  urlKey: 'TENANCY_URL' | 'FLEET_URL' | 'TELEMETRY_URL' | 'DEVICE_URL';
  /** The URL written into the committed supergraph; the gateway may override it from config. */
  defaultUrl: string;
  /** Builds its schema without any connection. */
  buildSchema: () => Promise<GraphQLSchema>;
}

/** Every subgraph of the supergraph, in composition order; adding one is one line. */
export const subgraphs: readonly SubgraphEntry[] = [
  { name: 'tenancy', urlKey: 'TENANCY_URL', defaultUrl: 'http://127.0.0.1:4001/graphql', buildSchema: buildTenancySchema },
  { name: 'fleet', urlKey: 'FLEET_URL', defaultUrl: 'http://127.0.0.1:4002/graphql', buildSchema: buildFleetSchema },
  { name: 'telemetry', urlKey: 'TELEMETRY_URL', defaultUrl: 'http://127.0.0.1:4003/graphql', buildSchema: buildTelemetrySchema },
  { name: 'device', urlKey: 'DEVICE_URL', defaultUrl: 'http://127.0.0.1:4004/graphql', buildSchema: buildDeviceSchema },
];
