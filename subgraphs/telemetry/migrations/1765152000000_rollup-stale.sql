-- Up Migration
-- HOUR and DAY rollups recomputed from the finer rollup once their bucket is over, instead
-- of upserted by every fold: the fold's HOUR and DAY upserts were 45 % of its cost
-- (bench/ingest/pg-cost.ts --fold-split, docs/benchmarks.md). A row here says that the
-- HOUR (or DAY) rows of `bucket` for the devices of `part` may be behind the FIVE_MINUTES
-- (or HOUR) rows: reads then sum that bucket from the finer rows (rollups.ts
-- `currentRollup`), so a rollup read is as up to date as FIVE_MINUTES whatever is marked.
-- The fold marks the hours it added to; recomputing an hour deletes its mark and marks its
-- day, in one transaction (rollup-fold.ts `refreshRollups`).
create table telemetry.rollup_stale (
  granularity text not null check (granularity in ('HOUR', 'DAY')),
  bucket timestamptz not null,
  -- hashtext(device_id) & 15: a bucket's devices are recomputed in sixteen parts
  part smallint not null check (part between 0 and 15),
  marked_at timestamptz not null default now(),
  primary key (granularity, bucket, part)
);
grant select on telemetry.rollup_stale to cypernex_app;

-- a part's rows of one bucket, for recomputing it and for reading marked buckets of every device
create index rollups_five_minutes_part_idx on telemetry.rollups_five_minutes ((hashtext(device_id) & 15), bucket);
create index rollups_hour_part_idx on telemetry.rollups_hour ((hashtext(device_id) & 15), bucket);

-- Down Migration
-- Without the marks, HOUR and DAY are read as stored: the marked buckets are recomputed
-- first (hours from FIVE_MINUTES, then the days marked or holding a marked hour from HOUR).
insert into telemetry.rollups_hour as r (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
select f.device_id, s.bucket, f.tenant_id, sum(f.readings), sum(f.duration), telemetry.sum_arrays(f.e_real), telemetry.sum_arrays(f.e_reactive),
  telemetry.sum_arrays(f.v_rms_sum), telemetry.sum_arrays(f.i_rms_sum), sum(f.frequency_sum), sum(f.frequency_count)
from telemetry.rollup_stale s
join telemetry.rollups_five_minutes f on (hashtext(f.device_id) & 15) = s.part and f.bucket >= s.bucket and f.bucket < s.bucket + interval '1 hour'
where s.granularity = 'HOUR'
group by f.device_id, s.bucket, f.tenant_id
on conflict (device_id, bucket) do update set readings = excluded.readings, duration = excluded.duration, e_real = excluded.e_real,
  e_reactive = excluded.e_reactive, v_rms_sum = excluded.v_rms_sum, i_rms_sum = excluded.i_rms_sum, frequency_sum = excluded.frequency_sum,
  frequency_count = excluded.frequency_count;
insert into telemetry.rollups_day as r (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
select h.device_id, d.day, h.tenant_id, sum(h.readings), sum(h.duration), telemetry.sum_arrays(h.e_real), telemetry.sum_arrays(h.e_reactive),
  telemetry.sum_arrays(h.v_rms_sum), telemetry.sum_arrays(h.i_rms_sum), sum(h.frequency_sum), sum(h.frequency_count)
from (select distinct part, date_bin('1 day', bucket, timestamptz 'epoch') as day from telemetry.rollup_stale) d
join telemetry.rollups_hour h on (hashtext(h.device_id) & 15) = d.part and h.bucket >= d.day and h.bucket < d.day + interval '1 day'
group by h.device_id, d.day, h.tenant_id
on conflict (device_id, bucket) do update set readings = excluded.readings, duration = excluded.duration, e_real = excluded.e_real,
  e_reactive = excluded.e_reactive, v_rms_sum = excluded.v_rms_sum, i_rms_sum = excluded.i_rms_sum, frequency_sum = excluded.frequency_sum,
  frequency_count = excluded.frequency_count;
drop index telemetry.rollups_hour_part_idx;
drop index telemetry.rollups_five_minutes_part_idx;
drop table telemetry.rollup_stale;
