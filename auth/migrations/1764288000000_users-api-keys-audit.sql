-- Up Migration
-- Users sign in on the issuer's pages. One home tenant and one role each; the password is
-- kept only as an argon2id PHC string, which the application role may not read.
create table auth.users (
  id uuid primary key,
  tenant_id uuid not null,
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  password_hash text not null,
  role text not null check (role in ('viewer', 'operator', 'admin')),
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);
-- Sign-in is by e-mail alone, so an address names one user across the platform.
create unique index users_email_idx on auth.users (email);
create index users_tenant_idx on auth.users (tenant_id);

-- API keys (CONTRACT §3): only a keyed hash of the key is kept (purpose api-key).
create table auth.api_keys (
  id uuid primary key,
  tenant_id uuid not null,
  key_hash text not null unique,
  scopes text[] not null check (cardinality(scopes) > 0 and scopes <@ array['fleet:read', 'telemetry:read', 'telemetry:export']),
  device_ids text[],
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
create index api_keys_tenant_idx on auth.api_keys (tenant_id);

-- What happened to identities: sign-ins, lockouts, tokens issued, keys created and revoked.
-- tenant_id is null when the event names no known tenant (an unknown e-mail address).
create table auth.audit_events (
  id bigint generated always as identity primary key,
  tenant_id uuid,
  at timestamptz not null default now(),
  type text not null,
  subject text,
  client_id text,
  source text,
  detail jsonb not null default '{}'
);
create index audit_events_tenant_idx on auth.audit_events (tenant_id, id desc);

-- A rotation demotes keys; a `previous` key is retired once every token it signed expired.
alter table auth.signing_keys add column state_changed_at timestamptz not null default now();

alter table auth.users enable row level security;
alter table auth.users force row level security;
create policy users_in_scope on auth.users
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table auth.api_keys enable row level security;
alter table auth.api_keys force row level security;
create policy api_keys_in_scope on auth.api_keys
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table auth.audit_events enable row level security;
alter table auth.audit_events force row level security;
create policy audit_events_in_scope on auth.audit_events
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

-- Tenant admins (GraphQL, tenancy:admin) manage the users of their tenants and read their
-- audit trail; they never read a password hash or a key hash.
grant select (id, tenant_id, email, role, created_at, disabled_at) on auth.users to cypernex_app;
grant insert (id, tenant_id, email, password_hash, role) on auth.users to cypernex_app;
grant update (role, disabled_at) on auth.users to cypernex_app;
grant select (id, tenant_id, scopes, device_ids, created_at, revoked_at, last_used_at) on auth.api_keys to cypernex_app;
grant update (revoked_at) on auth.api_keys to cypernex_app;
grant select, insert on auth.audit_events to cypernex_app;

-- Down Migration
alter table auth.signing_keys drop column state_changed_at;
drop table auth.audit_events;
drop table auth.api_keys;
drop table auth.users;
