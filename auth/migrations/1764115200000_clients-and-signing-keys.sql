-- Up Migration
-- OAuth clients. The secret is kept only as a keyed hash (lib/master-key keyedHash, purpose
-- client-secret); public clients (device flow, code + PKCE) have none.
create table auth.clients (
  client_id text primary key check (client_id ~ '^cpx-[A-Za-z0-9_-]{16,64}$'),
  tenant_id uuid not null,
  name text not null check (length(name) between 1 and 200),
  secret_hash text,
  grant_types text[] not null check (cardinality(grant_types) > 0),
  scopes text[] not null,
  redirect_uris text[] not null default '{}',
  control boolean not null default false,
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  -- a client_credentials client without a secret would authenticate with nothing
  check (secret_hash is not null or not ('client_credentials' = any (grant_types))),
  -- CONTRACT §3: control scopes belong only to clients registered as control clients
  check (control or not (scopes && array['device:control', 'device:firmware']))
);
create index clients_tenant_idx on auth.clients (tenant_id);

-- The issuer's signing keys, private JWK sealed with the master key (purpose signing-key).
-- Two-step rotation: a `next` key is published before it signs, then becomes `current`
-- while the old one stays published as `previous` until the tokens it signed expire.
create table auth.signing_keys (
  kid text primary key,
  alg text not null,
  sealed_jwk text not null,
  state text not null check (state in ('current', 'previous', 'next', 'retired')),
  created_at timestamptz not null default now()
);
-- At most one current key: issuers starting at once race on this index, one insert wins.
create unique index signing_keys_one_current on auth.signing_keys (state) where state = 'current';

alter table auth.clients enable row level security;
alter table auth.clients force row level security;
create policy clients_in_scope on auth.clients
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

-- Tenant admins list and disable their own clients; creation is the operator's (CLI), and
-- signing keys are the issuer's alone (it connects with the pool's own rights).
grant usage on schema auth to cypernex_app;
grant select (client_id, tenant_id, name, grant_types, scopes, redirect_uris, control, created_at, disabled_at)
  on auth.clients to cypernex_app;
grant update (disabled_at) on auth.clients to cypernex_app;

-- Down Migration
drop table auth.signing_keys;
drop table auth.clients;
