import { runSubgraph } from '../run-subgraph';
import { createDeviceSubgraph } from './index';

runSubgraph('device', (config) => config.DEVICE_PORT, createDeviceSubgraph);
