import type { Command } from './command';
import { clientCreate, partnerGrant } from './client';
import { deviceRegister } from './device';
import { seedDemo } from './seed';
import { tenantCreate } from './tenant';

/** Every CLI verb by noun (CONTRACT §4). */
export const commands: Record<string, Record<string, Command>> = {
  tenant: { create: tenantCreate },
  client: { create: clientCreate },
  partner: { grant: partnerGrant },
  device: { register: deviceRegister },
  seed: { demo: seedDemo },
};
