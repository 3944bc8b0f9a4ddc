import type { PoolClient } from 'pg';
import { InputError } from '../../lib/input-error';
import { scopeIncludes, type TenantScope } from '../../lib/tenant-scope';
import { parseDeviceId, parseUuid } from '../../schema/ids';
import { inScope, scopeDeviceIds, scopeTenantIds, type Queryable } from '../queryable';

export interface DeviceRow {
  id: string;
  tenantId: string;
  region: string;
  serial: string;
  model: string;
  label: string | null;
  siteId: string | null;
}

export interface ChannelRow {
  /** `<deviceId>:<index>` */
  id: string;
  deviceId: string;
  index: number;
  label: string | null;
  category: string;
  ctRating: number;
}

export interface DevicePage {
  devices: DeviceRow[];
  hasNextPage: boolean;
}

const DEVICE_COLUMNS = 'd.id, d.tenant_id as "tenantId", d.region, d.serial, d.model, d.label, d.site_id as "siteId"';
/**
 * The first wall, before row-level security: `$1` the scope's tenants (null: operator),
 * `$2` the devices an API key is limited to (null: all).
 */
const DEVICE_IN_SCOPE = '($1::uuid[] is null or d.tenant_id = any($1::uuid[])) and ($2::text[] is null or d.id = any($2::text[]))';
const scopeParams = (scope: TenantScope) => [scopeTenantIds(scope), scopeDeviceIds(scope)];
const isEmpty = (scope: TenantScope) => scope.kind === 'tenants' && scope.tenantIds.length === 0;

const REGION = /^[a-z]{2}[a-z0-9-]{0,14}$/;
const MAX_CHANNELS = 12;
const MAX_BATCH = 10000;

export interface NewDevices {
  tenantId: string;
  /** The tenant's region (the caller reads it from tenancy); readings stay there. */
  region: string;
  model: string;
  serials: readonly string[];
  /** Channels 0..n-1, each a 60 A consumption CT until configured. Default 6. */
  channels?: number;
  siteId?: string | null;
}

/**
 * Registers devices with ids from `fleet.device_number` (`D` + 12 digits) and their
 * channels. Pass a client to run inside the caller's transaction (the CLI provisions the
 * device keys in the same one). Returns one `{ id, serial }` per serial, in input order.
 */
export async function registerDevices(db: Queryable, scope: TenantScope, input: NewDevices): Promise<{ id: string; serial: string }[]> {
  const tenantId = parseUuid(input.tenantId, 'tenant');
  if (!scopeIncludes(scope, tenantId)) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
  if (!REGION.test(input.region ?? '')) throw new InputError('region: not a valid region', 'region');
  const model = requireText('model', input.model, 64);
  const serials = input.serials.map((serial) => requireText('serial', serial, 64));
  if (serials.length === 0 || serials.length > MAX_BATCH) throw new InputError(`serial: between 1 and ${MAX_BATCH} devices per call`, 'serial');
  const duplicate = serials.find((serial, i) => serials.indexOf(serial) !== i);
  if (duplicate) throw new InputError(`serial: ${duplicate} is listed twice`, 'serial');
  const channels = input.channels ?? 6;
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new InputError(`channels: must be between 1 and ${MAX_CHANNELS}`, 'channels');
  }
  const siteId = input.siteId ? parseUuid(input.siteId, 'site') : null;
  return inScope(db, scope, async (client) => {
    if (siteId) await requireSite(client, scope, tenantId, siteId);
    const inserted = await insertOrExplain(model, () =>
      client.query<{ id: string; serial: string }>(
        `insert into fleet.devices (id, tenant_id, region, serial, model, site_id)
         select 'D' || lpad(nextval('fleet.device_number')::text, 12, '0'), $1, $2, s.serial, $3, $4
         from unnest($5::text[]) with ordinality as s(serial, ord) order by s.ord
         returning id, serial`,
        [tenantId, input.region, model, siteId, serials],
      ),
    );
    await client.query(
      `insert into fleet.channels (device_id, tenant_id, index)
       select d.id, $1, i from unnest($2::text[]) as d(id) cross join generate_series(0, $3 - 1) as i`,
      [tenantId, inserted.rows.map((row) => row.id), channels],
    );
    const bySerial = new Map(inserted.rows.map((row) => [row.serial, row.id]));
    return serials.map((serial) => ({ id: bySerial.get(serial)!, serial }));
  });
}

async function insertOrExplain<T>(model: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new InputError(`serial: a ${model} with this serial is already registered`, 'serial');
    }
    throw error;
  }
}

async function requireSite(client: PoolClient, scope: TenantScope, tenantId: string, siteId: string): Promise<void> {
  const found = await client.query(
    'select 1 from fleet.sites where id = $2 and tenant_id = $3 and ($1::uuid[] is null or tenant_id = any($1::uuid[]))',
    [scopeTenantIds(scope), siteId, tenantId],
  );
  if (!found.rowCount) throw new InputError(`site: no site ${siteId} in tenant ${tenantId}`, 'site');
}

function requireText(field: string, value: string | undefined, max: number): string {
  const text = value?.trim() ?? '';
  if (text.length < 1 || text.length > max) throw new InputError(`${field}: must be 1 to ${max} characters`, field);
  return text;
}

/** The devices among `ids` that the scope sees, in no particular order. */
export async function getDevices(db: Queryable, scope: TenantScope, ids: readonly string[]): Promise<DeviceRow[]> {
  if (isEmpty(scope) || ids.length === 0) return [];
  return inScope(db, scope, async (client) =>
    (await client.query<DeviceRow>(`select ${DEVICE_COLUMNS} from fleet.devices d where d.id = any($3::text[]) and ${DEVICE_IN_SCOPE}`, [...scopeParams(scope), ids])).rows,
  );
}

export interface DeviceListOptions {
  /** Only these tenants (still within the scope). */
  tenantIds?: readonly string[];
  first: number;
  /** The id of the last device of the previous page. */
  after?: string | null;
}

/** One page of devices in id order. */
export async function listDevices(db: Queryable, scope: TenantScope, options: DeviceListOptions): Promise<DevicePage> {
  if (isEmpty(scope)) return { devices: [], hasNextPage: false };
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<DeviceRow>(
        `select ${DEVICE_COLUMNS} from fleet.devices d
         where ${DEVICE_IN_SCOPE} and ($3::uuid[] is null or d.tenant_id = any($3::uuid[])) and ($4::text is null or d.id > $4)
         order by d.id limit $5`,
        [...scopeParams(scope), options.tenantIds ?? null, options.after ?? null, options.first + 1],
      )
    ).rows,
  );
  return { devices: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
}

export interface TenantPageKey {
  tenantId: string;
  first: number;
  after: string | null;
}

/**
 * A page of devices for each of many tenants in one statement (Tenant.devices for a whole
 * list of tenants): rows are numbered per requested page and cut at `first + 1`.
 */
export async function listDevicesOfTenants(db: Queryable, scope: TenantScope, keys: readonly TenantPageKey[]): Promise<DevicePage[]> {
  const pages = keys.map((): DevicePage => ({ devices: [], hasNextPage: false }));
  if (isEmpty(scope) || keys.length === 0) return pages;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<DeviceRow & { page: string; rank: string }>(
        `select id, "tenantId", region, serial, model, label, "siteId", page, rank from (
           select ${DEVICE_COLUMNS}, k.page, row_number() over (partition by k.page order by d.id) as rank, k.size
           from unnest($3::uuid[], $4::text[], $5::int[]) with ordinality as k(tenant_id, after_id, size, page)
           join fleet.devices d on d.tenant_id = k.tenant_id and (k.after_id is null or d.id > k.after_id)
           where ${DEVICE_IN_SCOPE}
         ) ranked where rank <= size + 1 order by page, id`,
        [...scopeParams(scope), keys.map((key) => key.tenantId), keys.map((key) => key.after), keys.map((key) => key.first)],
      )
    ).rows,
  );
  for (const { page, rank, ...device } of rows) {
    const target = pages[Number(page) - 1]!;
    if (Number(rank) > keys[Number(page) - 1]!.first) target.hasNextPage = true;
    else target.devices.push(device);
  }
  return pages;
}

/** Channels of each device, by index (one statement for the batch). */
export async function channelsByDevice(db: Queryable, scope: TenantScope, deviceIds: readonly string[]): Promise<Map<string, ChannelRow[]>> {
  const byDevice = new Map<string, ChannelRow[]>(deviceIds.map((id) => [id, []]));
  if (isEmpty(scope) || deviceIds.length === 0) return byDevice;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<ChannelRow>(
        `select d.device_id || ':' || d.index as id, d.device_id as "deviceId", d.index, d.label, d.category, d.ct_rating as "ctRating"
         from fleet.channels d
         where d.device_id = any($3::text[])
           and ($1::uuid[] is null or d.tenant_id = any($1::uuid[])) and ($2::text[] is null or d.device_id = any($2::text[]))
         order by d.device_id, d.index`,
        [...scopeParams(scope), deviceIds],
      )
    ).rows,
  );
  for (const row of rows) byDevice.get(row.deviceId)?.push(row);
  return byDevice;
}

/**
 * Records a CT coil change (a device reported or applied it). Returns false when the
 * channel does not exist in the scope.
 */
export async function setChannelCtRating(db: Queryable, scope: TenantScope, deviceId: string, index: number, ctRating: number): Promise<boolean> {
  const id = parseDeviceId(deviceId, 'deviceId');
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CHANNELS) throw new InputError('channel: not a valid channel index', 'channel');
  if (!Number.isInteger(ctRating) || ctRating < 1 || ctRating > 10000) throw new InputError('ctRating: must be 1 to 10000 amperes', 'ctRating');
  if (isEmpty(scope)) return false;
  return inScope(db, scope, async (client) => {
    const updated = await client.query(
      `update fleet.channels d set ct_rating = $5
       where d.device_id = $3 and d.index = $4
         and ($1::uuid[] is null or d.tenant_id = any($1::uuid[])) and ($2::text[] is null or d.device_id = any($2::text[]))`,
      [...scopeParams(scope), id, index, ctRating],
    );
    return (updated.rowCount ?? 0) > 0;
  });
}

export interface SiteRow {
  id: string;
  tenantId: string;
  name: string;
  timezone: string;
}

const SITE_COLUMNS = 'id, tenant_id as "tenantId", name, timezone';

/** A place where devices are installed; its time zone is an IANA name. */
export async function createSite(db: Queryable, scope: TenantScope, input: { tenantId: string; name: string; timezone?: string }): Promise<SiteRow> {
  const tenantId = parseUuid(input.tenantId, 'tenant');
  if (!scopeIncludes(scope, tenantId)) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
  const name = requireText('name', input.name, 200);
  const timezone = input.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) throw new InputError(`timezone: ${timezone} is not an IANA time zone`, 'timezone');
  return inScope(db, scope, async (client) =>
    (await client.query<SiteRow>(`insert into fleet.sites (tenant_id, name, timezone) values ($1, $2, $3) returning ${SITE_COLUMNS}`, [tenantId, name, timezone])).rows[0]!,
  );
}

export async function getSites(db: Queryable, scope: TenantScope, ids: readonly string[]): Promise<SiteRow[]> {
  if (isEmpty(scope) || ids.length === 0) return [];
  return inScope(db, scope, async (client) =>
    (
      await client.query<SiteRow>(`select ${SITE_COLUMNS} from fleet.sites where id = any($2::uuid[]) and ($1::uuid[] is null or tenant_id = any($1::uuid[]))`, [
        scopeTenantIds(scope),
        ids,
      ])
    ).rows,
  );
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
