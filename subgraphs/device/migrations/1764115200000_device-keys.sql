-- Up Migration
-- Separate secret keys for the data and maintenance channels (security overview), each
-- 32 random bytes, sealed with a key derived from the master key (never stored in clear).
-- The ingestion worker is the one documented reader outside this part.
create table device.keys (
  device_id text primary key check (device_id ~ '^D[0-9]{12}$'),
  tenant_id uuid not null,
  region text not null,
  -- the ingestion worker checks array lengths against it without reading fleet's tables
  channel_count smallint not null check (channel_count between 1 and 12),
  data_key text not null,
  maintenance_key text not null,
  -- after a rotation the previous data key stays valid for a short overlap
  previous_data_key text,
  previous_valid_until timestamptz,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
create index keys_tenant_idx on device.keys (tenant_id);

alter table device.keys enable row level security;
alter table device.keys force row level security;
create policy keys_in_scope on device.keys
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

grant usage on schema device to cypernex_app;

-- Down Migration
drop table device.keys;
