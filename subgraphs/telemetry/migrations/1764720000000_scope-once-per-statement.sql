-- Up Migration
-- Row-level security reads the scope once per statement (see auth's migration of this name).
select public.cypernex_scope_policies('telemetry', true);

-- Down Migration
select public.cypernex_scope_policies('telemetry', false);
