-- Up Migration
-- The device's model decides which CT coils a channel accepts (command validation).
alter table device.keys add column model text;

-- The application role reads who owns a device, never its sealed keys (column grant).
grant select (device_id, tenant_id, region, channel_count, model) on device.keys to cypernex_app;

-- Maintenance commands and every transition of each (audit trail, Device.commands).
create table device.commands (
  id uuid primary key,
  device_id text not null check (device_id ~ '^D[0-9]{12}$'),
  tenant_id uuid not null,
  region text not null,
  type text not null check (type in ('setCtRating', 'setReportingInterval', 'reboot', 'firmwareUpgrade')),
  params jsonb not null,
  status text not null check (status in ('PENDING', 'SENT', 'ACCEPTED', 'APPLIED', 'REJECTED', 'FAILED', 'EXPIRED')),
  requested_by text not null,
  client_id text,
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  completed_at timestamptz,
  detail text check (length(detail) <= 500)
);
create index commands_device_idx on device.commands (device_id, issued_at desc);
-- the sweeper looks only at open commands
create index commands_open_idx on device.commands (expires_at) where status in ('PENDING', 'SENT', 'ACCEPTED');

create table device.command_transitions (
  id bigserial primary key,
  command_id uuid not null references device.commands (id) on delete cascade,
  tenant_id uuid not null,
  status text not null,
  at timestamptz not null default now(),
  -- api (the caller), device (its signed answer), sweeper (expiry), broker (publish failed)
  source text not null,
  detail text
);
create index command_transitions_command_idx on device.command_transitions (command_id, id);

-- Answers on maintenance/.../res that changed nothing: forged, uncorrelated, late, malformed.
create table device.rejected_answers (
  id bigserial primary key,
  received_at timestamptz not null default now(),
  topic text not null,
  device_id text,
  tenant_id uuid,
  correlation text,
  reason text not null,
  payload bytea not null
);
create index rejected_answers_device_idx on device.rejected_answers (device_id, id desc);

-- Events written in the same transaction as the change they announce (transactional
-- outbox); a relay in the device service moves them to the Redis event stream. The CLI,
-- which has no Redis, registers devices and their device.registered events together.
create table device.outbox (
  id bigserial primary key,
  tenant_id uuid not null,
  event jsonb not null,
  created_at timestamptz not null default now()
);

-- Partner webhooks (CONTRACT §8); the secret is sealed, it is needed to sign.
create table device.webhooks (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  url text not null check (length(url) <= 2000),
  events text[] not null,
  secret text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index webhooks_tenant_idx on device.webhooks (tenant_id) where deleted_at is null;

create table device.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references device.webhooks (id),
  tenant_id uuid not null,
  event_id text not null,
  event_type text not null,
  body text not null,
  status text not null default 'PENDING' check (status in ('PENDING', 'DELIVERED', 'FAILED')),
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  -- an event redelivered from the stream becomes the same delivery, not a second one
  unique (webhook_id, event_id)
);
create index webhook_deliveries_webhook_idx on device.webhook_deliveries (webhook_id, created_at desc);
create index webhook_deliveries_event_idx on device.webhook_deliveries (event_id);

create table device.webhook_attempts (
  id bigserial primary key,
  delivery_id uuid not null references device.webhook_deliveries (id),
  tenant_id uuid not null,
  attempt integer not null,
  at timestamptz not null default now(),
  status_code integer,
  error text,
  duration_ms integer not null
);
create index webhook_attempts_delivery_idx on device.webhook_attempts (delivery_id, id);

alter table device.commands enable row level security;
alter table device.commands force row level security;
create policy commands_in_scope on device.commands
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.command_transitions enable row level security;
alter table device.command_transitions force row level security;
create policy command_transitions_in_scope on device.command_transitions
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.rejected_answers enable row level security;
alter table device.rejected_answers force row level security;
create policy rejected_answers_in_scope on device.rejected_answers
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.outbox enable row level security;
alter table device.outbox force row level security;
create policy outbox_in_scope on device.outbox
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.webhooks enable row level security;
alter table device.webhooks force row level security;
create policy webhooks_in_scope on device.webhooks
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.webhook_deliveries enable row level security;
alter table device.webhook_deliveries force row level security;
create policy webhook_deliveries_in_scope on device.webhook_deliveries
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table device.webhook_attempts enable row level security;
alter table device.webhook_attempts force row level security;
create policy webhook_attempts_in_scope on device.webhook_attempts
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

grant select, insert, update on device.commands, device.command_transitions, device.rejected_answers,
  device.webhooks, device.webhook_deliveries, device.webhook_attempts to cypernex_app;
grant insert on device.outbox to cypernex_app;
grant usage on sequence device.command_transitions_id_seq, device.rejected_answers_id_seq,
  device.webhook_attempts_id_seq, device.outbox_id_seq to cypernex_app;

-- Down Migration
drop table device.webhook_attempts;
drop table device.webhook_deliveries;
drop table device.webhooks;
drop table device.rejected_answers;
drop table device.outbox;
drop table device.command_transitions;
drop table device.commands;
revoke select (device_id, tenant_id, region, channel_count, model) on device.keys from cypernex_app;
alter table device.keys drop column model;
