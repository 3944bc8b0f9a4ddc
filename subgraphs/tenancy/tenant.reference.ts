import { isUuid } from '../../schema/ids';
import type { TenancyContext } from './loaders';
import type { TenantRow } from './store';

/**
 * The gateway asks for a Tenant by id after another subgraph returned it (a device's
 * tenant): the referencing object was authorized there, so any visible tenant resolves;
 * an invisible or malformed id resolves to null, like a missing one.
 */
export function resolveTenantReference(reference: { id: string }, context: TenancyContext): Promise<TenantRow | null> | null {
  return isUuid(reference.id) ? context.loaders.tenant.load(reference.id.toLowerCase()) : null;
}
