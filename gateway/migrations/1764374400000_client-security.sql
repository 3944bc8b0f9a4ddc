-- Up Migration
-- Per-client gateway settings, managed by the operator CLI (`operations ...`, `client limits`).
-- Keyed by the OAuth client id of auth.clients; no foreign key across parts (lib/migrate.ts).
create table security.client_settings (
  client_id text primary key,
  -- Only operations in security.trusted_documents may run for this client.
  trusted_only boolean not null default false,
  -- Cost units per rate-limit window; null means the gateway's configured default.
  principal_limit integer check (principal_limit > 0),
  tenant_limit integer check (tenant_limit > 0),
  updated_at timestamptz not null default now()
);

create table security.trusted_documents (
  client_id text not null,
  -- Lowercase hex SHA-256 of the exact document text, as APQ and trusted-document clients send it.
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  name text,
  body text not null,
  created_at timestamptz not null default now(),
  primary key (client_id, hash)
);
create index trusted_documents_hash_idx on security.trusted_documents (hash);

-- Down Migration
drop table security.trusted_documents;
drop table security.client_settings;
