-- Up Migration
-- The parked rollup deltas with a column per channel value (e_real_1 ... i_rms_sum_12, NULL
-- beyond the reading's `channels`) instead of four float8[] columns. The fold sums each
-- value per device and bucket; from arrays that is 48 subscripts per delta, measured
-- 6.5-8.8 µs per delta against 0.9-1.6 µs from plain columns (bench/ingest/fold-sums.sql),
-- and the fold was at least 43 % of PostgreSQL's CPU at 100,000 devices
-- (docs/benchmarks.md). Parked deltas move over with their values.
alter table telemetry.rollup_pending rename to rollup_pending_arrays;
do $$
begin
  for p in 0..15 loop
    execute format('alter table telemetry.rollup_pending_p%s rename to rollup_pending_arrays_p%s', p, p);
  end loop;
end $$;

create table telemetry.rollup_pending (
  device_id text not null,
  bucket timestamptz not null,
  tenant_id uuid not null,
  readings integer not null,
  duration integer not null,
  -- how many of each value's twelve columns the delta uses
  channels smallint not null check (channels between 1 and 12),
  e_real_1 float8, e_real_2 float8, e_real_3 float8, e_real_4 float8, e_real_5 float8, e_real_6 float8, e_real_7 float8, e_real_8 float8, e_real_9 float8, e_real_10 float8, e_real_11 float8, e_real_12 float8,
  e_reactive_1 float8, e_reactive_2 float8, e_reactive_3 float8, e_reactive_4 float8, e_reactive_5 float8, e_reactive_6 float8, e_reactive_7 float8, e_reactive_8 float8, e_reactive_9 float8, e_reactive_10 float8, e_reactive_11 float8, e_reactive_12 float8,
  v_rms_sum_1 float8, v_rms_sum_2 float8, v_rms_sum_3 float8, v_rms_sum_4 float8, v_rms_sum_5 float8, v_rms_sum_6 float8, v_rms_sum_7 float8, v_rms_sum_8 float8, v_rms_sum_9 float8, v_rms_sum_10 float8, v_rms_sum_11 float8, v_rms_sum_12 float8,
  i_rms_sum_1 float8, i_rms_sum_2 float8, i_rms_sum_3 float8, i_rms_sum_4 float8, i_rms_sum_5 float8, i_rms_sum_6 float8, i_rms_sum_7 float8, i_rms_sum_8 float8, i_rms_sum_9 float8, i_rms_sum_10 float8, i_rms_sum_11 float8, i_rms_sum_12 float8,
  frequency_sum float8 not null,
  frequency_count integer not null,
  part smallint not null
) partition by list (part);

do $$
begin
  for p in 0..15 loop
    execute format('create table telemetry.rollup_pending_p%s partition of telemetry.rollup_pending for values in (%s)', p, p);
    -- reached only through the parent; nobody but the worker reads a partition directly
    execute format('alter table telemetry.rollup_pending_p%s enable row level security', p);
    execute format('alter table telemetry.rollup_pending_p%s force row level security', p);
  end loop;
end $$;

insert into telemetry.rollup_pending
select device_id, bucket, tenant_id, readings, duration,
    greatest(cardinality(e_real), cardinality(e_reactive), cardinality(v_rms_sum), cardinality(i_rms_sum)),
    e_real[1], e_real[2], e_real[3], e_real[4], e_real[5], e_real[6], e_real[7], e_real[8], e_real[9], e_real[10], e_real[11], e_real[12],
    e_reactive[1], e_reactive[2], e_reactive[3], e_reactive[4], e_reactive[5], e_reactive[6], e_reactive[7], e_reactive[8], e_reactive[9], e_reactive[10], e_reactive[11], e_reactive[12],
    v_rms_sum[1], v_rms_sum[2], v_rms_sum[3], v_rms_sum[4], v_rms_sum[5], v_rms_sum[6], v_rms_sum[7], v_rms_sum[8], v_rms_sum[9], v_rms_sum[10], v_rms_sum[11], v_rms_sum[12],
    i_rms_sum[1], i_rms_sum[2], i_rms_sum[3], i_rms_sum[4], i_rms_sum[5], i_rms_sum[6], i_rms_sum[7], i_rms_sum[8], i_rms_sum[9], i_rms_sum[10], i_rms_sum[11], i_rms_sum[12],
    frequency_sum, frequency_count, part
from telemetry.rollup_pending_arrays;

drop table telemetry.rollup_pending_arrays;

-- only the worker (table owner) touches it; tenants never read it. The scope is read once
-- per statement, as every policy has it since 1764720000000_scope-once-per-statement.
alter table telemetry.rollup_pending enable row level security;
alter table telemetry.rollup_pending force row level security;
create policy rollup_pending_in_scope on telemetry.rollup_pending
  using (tenant_id = any ((select coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[])::uuid[]));

-- Down Migration
alter table telemetry.rollup_pending rename to rollup_pending_columns;
do $$
begin
  for p in 0..15 loop
    execute format('alter table telemetry.rollup_pending_p%s rename to rollup_pending_columns_p%s', p, p);
  end loop;
end $$;

create table telemetry.rollup_pending (
  device_id text not null,
  bucket timestamptz not null,
  tenant_id uuid not null,
  readings integer not null,
  duration integer not null,
  e_real float8[] not null,
  e_reactive float8[] not null,
  v_rms_sum float8[] not null,
  i_rms_sum float8[] not null,
  frequency_sum float8 not null,
  frequency_count integer not null,
  part smallint not null
) partition by list (part);

do $$
begin
  for p in 0..15 loop
    execute format('create table telemetry.rollup_pending_p%s partition of telemetry.rollup_pending for values in (%s)', p, p);
    -- reached only through the parent; nobody but the worker reads a partition directly
    execute format('alter table telemetry.rollup_pending_p%s enable row level security', p);
    execute format('alter table telemetry.rollup_pending_p%s force row level security', p);
  end loop;
end $$;

insert into telemetry.rollup_pending
select device_id, bucket, tenant_id, readings, duration,
  (array[e_real_1, e_real_2, e_real_3, e_real_4, e_real_5, e_real_6, e_real_7, e_real_8, e_real_9, e_real_10, e_real_11, e_real_12])[1:channels],
  (array[e_reactive_1, e_reactive_2, e_reactive_3, e_reactive_4, e_reactive_5, e_reactive_6, e_reactive_7, e_reactive_8, e_reactive_9, e_reactive_10, e_reactive_11, e_reactive_12])[1:channels],
  (array[v_rms_sum_1, v_rms_sum_2, v_rms_sum_3, v_rms_sum_4, v_rms_sum_5, v_rms_sum_6, v_rms_sum_7, v_rms_sum_8, v_rms_sum_9, v_rms_sum_10, v_rms_sum_11, v_rms_sum_12])[1:channels],
  (array[i_rms_sum_1, i_rms_sum_2, i_rms_sum_3, i_rms_sum_4, i_rms_sum_5, i_rms_sum_6, i_rms_sum_7, i_rms_sum_8, i_rms_sum_9, i_rms_sum_10, i_rms_sum_11, i_rms_sum_12])[1:channels],
  frequency_sum, frequency_count, part
from telemetry.rollup_pending_columns;

drop table telemetry.rollup_pending_columns;

-- only the worker (table owner) touches it; tenants never read it. The scope is read once
-- per statement, as every policy has it since 1764720000000_scope-once-per-statement.
alter table telemetry.rollup_pending enable row level security;
alter table telemetry.rollup_pending force row level security;
create policy rollup_pending_in_scope on telemetry.rollup_pending
  using (tenant_id = any ((select coalesce(nullif(current_setting('cypernex.tenant_ids', true), ''), '{}')::uuid[])::uuid[]));
