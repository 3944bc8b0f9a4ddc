-- Up Migration
create table tenancy.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  -- raw data stays in its region (security overview); devices inherit it
  region text not null check (region ~ '^[a-z]{2}[a-z0-9-]{0,14}$'),
  parent_id uuid references tenancy.tenants (id),
  created_at timestamptz not null default now()
);
create index tenants_parent_idx on tenancy.tenants (parent_id);

-- A partner client (e.g. Wattwatchers) may see a tenant it does not belong to, with the
-- scopes the grant allows (CONTRACT §3).
create table tenancy.partner_grants (
  client_id text not null,
  tenant_id uuid not null references tenancy.tenants (id) on delete cascade,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  primary key (client_id, tenant_id)
);

-- The tenants a principal can see: its home tenant and every descendant (never ancestors),
-- plus the tenants partner grants name for its client. Security definer: it must walk the
-- whole tree whatever the caller's row-level security allows.
create function tenancy.visible_tenants(root uuid, client text)
returns table (tenant_id uuid, grant_scopes text[])
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  with recursive tree as (
    select t.id from tenancy.tenants t where t.id = root
    union
    select child.id from tenancy.tenants child join tree on child.parent_id = tree.id
  )
  select tree.id, null::text[] from tree
  union all
  select g.tenant_id, g.scopes from tenancy.partner_grants g
  where client is not null and g.client_id = client and g.tenant_id not in (select id from tree)
$$;

alter table tenancy.tenants enable row level security;
alter table tenancy.tenants force row level security;
create policy tenants_in_scope on tenancy.tenants
  using (id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

alter table tenancy.partner_grants enable row level security;
alter table tenancy.partner_grants force row level security;
create policy partner_grants_in_scope on tenancy.partner_grants
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

grant usage on schema tenancy to cypernex_app;
grant select on tenancy.tenants, tenancy.partner_grants to cypernex_app;
grant execute on function tenancy.visible_tenants(uuid, text) to cypernex_app;

-- Down Migration
drop function tenancy.visible_tenants(uuid, text);
drop table tenancy.partner_grants;
drop table tenancy.tenants;
