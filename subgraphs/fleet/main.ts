import { runSubgraph } from '../run-subgraph';
import { createFleetSubgraph } from './index';

runSubgraph('fleet', (config) => config.FLEET_PORT, createFleetSubgraph);
