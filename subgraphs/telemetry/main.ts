import { runSubgraph } from '../run-subgraph';
import { createTelemetrySubgraph } from './index';

runSubgraph('telemetry', (config) => config.TELEMETRY_PORT, createTelemetrySubgraph);
