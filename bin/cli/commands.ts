import { apikeyCreate, apikeyRevoke } from './apikey';
import { authAllow, authDeny, authRotateKeys } from './auth';
import type { Command } from './command';
import { clientCreate, partnerGrant } from './client';
import { deviceRegister } from './device';
import { deviceRotateKeys } from './device-keys';
import { ingestRetire, ingestWorkers } from './ingest';
import { operationsLimits, operationsRegister, operationsTrustedOnly } from './operations';
import { seedDemo } from './seed';
import { ingestDeadletters, telemetryVerify } from './telemetry';
import { tenantCreate } from './tenant';
import { userCreate } from './user';
import { webhookCreate } from './webhook';

/** Every CLI verb by noun (CONTRACT §4). */
export const commands: Record<string, Record<string, Command>> = {
  tenant: { create: tenantCreate },
  client: { create: clientCreate },
  partner: { grant: partnerGrant },
  device: { register: deviceRegister, 'rotate-keys': deviceRotateKeys },
  seed: { demo: seedDemo },
  ingest: { deadletters: ingestDeadletters, workers: ingestWorkers, retire: ingestRetire },
  telemetry: { verify: telemetryVerify },
  operations: { register: operationsRegister, 'trusted-only': operationsTrustedOnly, limits: operationsLimits },
  user: { create: userCreate },
  apikey: { create: apikeyCreate, revoke: apikeyRevoke },
  auth: { 'rotate-keys': authRotateKeys, deny: authDeny, allow: authAllow },
  webhook: { create: webhookCreate },
};
