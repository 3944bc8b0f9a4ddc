-- Up Migration
create table fleet.sites (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  name text not null check (length(name) between 1 and 200),
  timezone text not null default 'UTC',
  created_at timestamptz not null default now()
);
create index sites_tenant_idx on fleet.sites (tenant_id, id);

-- Wattwatchers-style ids: D followed by 12 digits (CONTRACT §5).
create sequence fleet.device_number start with 100000000001 maxvalue 999999999999;

create table fleet.devices (
  id text primary key check (id ~ '^D[0-9]{12}$'),
  tenant_id uuid not null,
  region text not null,
  serial text not null check (length(serial) between 1 and 64),
  model text not null check (length(model) between 1 and 64),
  label text check (length(label) <= 200),
  site_id uuid references fleet.sites (id),
  created_at timestamptz not null default now(),
  unique (model, serial)
);
create index devices_tenant_idx on fleet.devices (tenant_id, id);

create table fleet.channels (
  device_id text not null references fleet.devices (id) on delete cascade,
  tenant_id uuid not null,
  index smallint not null check (index between 0 and 11),
  label text check (length(label) <= 200),
  category text not null default 'consumption'
    check (category in ('consumption', 'generation', 'grid', 'storage', 'unassigned')),
  ct_rating integer not null default 60 check (ct_rating > 0),
  primary key (device_id, index)
);

alter table fleet.sites enable row level security;
alter table fleet.sites force row level security;
create policy sites_in_scope on fleet.sites
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table fleet.devices enable row level security;
alter table fleet.devices force row level security;
create policy devices_in_scope on fleet.devices
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table fleet.channels enable row level security;
alter table fleet.channels force row level security;
create policy channels_in_scope on fleet.channels
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

grant usage on schema fleet to cypernex_app;
grant select, insert, update on fleet.sites, fleet.devices, fleet.channels to cypernex_app;

-- Down Migration
drop table fleet.channels;
drop table fleet.devices;
drop sequence fleet.device_number;
drop table fleet.sites;
