-- Up Migration
-- Rollup deltas waiting to be folded into the three rollup tables. Under load, a batch
-- writes its readings' sums here (grouped per device and 5-minute bucket) in the same
-- transaction as the readings, instead of three upserts per reading; the ingestion worker
-- folds them periodically (delete ... returning, aggregated, one upsert per device and
-- bucket per fold) in one transaction, so a delta is added exactly once, a crash loses
-- nothing (it stays here until a fold commits) and every worker can fold any worker's
-- deltas. Measured: the per-reading upserts were ~60 % of the database time of a batch.
-- No index: it is only ever read whole, and emptied by each fold.
create table telemetry.rollup_pending (
  device_id text not null,
  -- the reading's ts (a 5-minute bucket start once summed)
  bucket timestamptz not null,
  tenant_id uuid not null,
  readings integer not null,
  duration integer not null,
  e_real float8[] not null,
  e_reactive float8[] not null,
  v_rms_sum float8[] not null,
  i_rms_sum float8[] not null,
  frequency_sum float8 not null,
  frequency_count integer not null
);
-- only the worker (table owner) touches it; tenants never read it
alter table telemetry.rollup_pending enable row level security;
alter table telemetry.rollup_pending force row level security;
create policy rollup_pending_in_scope on telemetry.rollup_pending
  using (tenant_id = any (coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[]));

-- Down Migration
drop table telemetry.rollup_pending;
