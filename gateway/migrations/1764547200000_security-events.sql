-- Up Migration
-- What the defender (gateway/defender) found and did: one row per tripped rule. Tenant
-- admins read them (securityEvents, security:read) and lift their action through the
-- tenancy subgraph, with their tenant scope, so row-level security is the second wall.
create table security.events (
  id uuid primary key,
  -- keyset pagination, newest first: ids are random, this is the order
  seq bigint generated always as identity unique,
  -- the principal's home tenant (anonymous traffic is refused before the defender sees it)
  tenant_id uuid not null,
  principal_type text not null check (principal_type in ('user', 'client', 'apikey')),
  subject text not null,
  client_id text,
  rule text not null,
  detail jsonb not null default '{}',
  action text not null check (action in ('notify', 'throttle', 'block', 'revoke')),
  -- the Redis deny-list entry the action wrote (lib/deny-list.ts), so lifting removes exactly it
  deny_kind text check (deny_kind in ('jti', 'subject', 'client')),
  deny_value text,
  -- when the action ends by itself; null: until lifted
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  lifted_at timestamptz,
  lifted_by text
);
create index events_tenant_idx on security.events (tenant_id, seq desc);

alter table security.events enable row level security;
alter table security.events force row level security;
create policy events_in_scope on security.events
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

grant usage on schema security to cypernex_app;
grant select, insert on security.events to cypernex_app;
grant update (lifted_at, lifted_by) on security.events to cypernex_app;

-- Down Migration
drop table security.events;
