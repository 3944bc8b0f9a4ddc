-- Up Migration
-- Row-level security reads the scope once per statement (see auth's migration of this name).
select public.cypernex_scope_policies('tenancy', true);

-- Down Migration
select public.cypernex_scope_policies('tenancy', false);
