import { isUuid } from '../../schema/ids';

/**
 * Fleet knows a tenant only by id; whether the caller may see its devices is decided by
 * Tenant.devices, so the reference itself is just the id.
 */
export function resolveTenantReference(reference: { id: string }): { id: string } | null {
  return isUuid(reference.id) ? { id: reference.id.toLowerCase() } : null;
}
