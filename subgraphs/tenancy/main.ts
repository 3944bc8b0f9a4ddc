import { runSubgraph } from '../run-subgraph';
import { createTenancySubgraph } from './index';

runSubgraph('tenancy', (config) => config.TENANCY_PORT, createTenancySubgraph);
