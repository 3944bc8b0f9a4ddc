-- Up Migration
-- The replay check's look-up of a (bootSeq, seq) goes through the rollups instead of an index
-- of its own on the readings. `readings_sequence_idx` took an index entry per reading in a
-- leaf of its own per device (100,000 devices: far more leaves than shared_buffers holds),
-- written for every reading and read for almost none (only readings not above their
-- device's high-water mark are looked up): pg-cost measured 5.4 µs of PostgreSQL's CPU per
-- reading for it, 9.6 at the end of a run's 6,000,000 readings, and 40 % of the WAL.
--
-- Now each FIVE_MINUTES and HOUR row carries the range of (bootSeq, seq) of its readings (as
-- two-element arrays, compared element by element; rollups.ts `sequenceRange`): FIVE_MINUTES
-- widened by the upsert that adds the readings' sums, HOUR set when the hour is recomputed
-- from FIVE_MINUTES; the parked deltas carry each reading's pair until they are folded. An
-- hour is either marked stale (rollup_stale: its FIVE_MINUTES rows are current) or its HOUR
-- row is, as reads already rely on. A look-up (store-write.ts `classifySuspects`) finds the
-- hours whose range holds the pair through the index below and the marked hours' 5-minute
-- buckets, then the reading in those buckets through the readings' primary key, and a
-- reading not folded yet through its parked delta: one statement, one snapshot. The index is
-- written once per device and hour, when the hour is recomputed; FIVE_MINUTES gets none, so
-- the fold's updates of its rows stay HOT where the page has room.
alter table telemetry.rollup_pending add column boot_seq bigint, add column seq bigint;
alter table telemetry.rollups_five_minutes add column seq_low bigint[], add column seq_high bigint[];
alter table telemetry.rollups_hour add column seq_low bigint[], add column seq_high bigint[];

-- deltas parked by the previous version: their readings' pairs
update telemetry.rollup_pending p set boot_seq = r.boot_seq, seq = r.seq
from telemetry.readings r
where r.device_id = p.device_id and r.ts = p.bucket and r.duration = p.duration;

-- the ranges of the buckets within the replay look-back (older readings are refused as stale),
-- from the readings folded into them (every stored reading less those still parked), then
-- the hours' from their 5-minute buckets
update telemetry.rollups_five_minutes f set seq_low = s.low, seq_high = s.high
from (
  select r.device_id, date_bin('5 minutes', r.ts, timestamptz 'epoch') as bucket, min(array[r.boot_seq, r.seq]) as low, max(array[r.boot_seq, r.seq]) as high
  from telemetry.readings r
  where r.ts >= now() - interval '8 days'
    and not exists (select 1 from telemetry.rollup_pending p where p.device_id = r.device_id and p.bucket = r.ts and p.duration = r.duration)
  group by 1, 2
) s
where f.device_id = s.device_id and f.bucket = s.bucket;
update telemetry.rollups_hour h set seq_low = s.low, seq_high = s.high
from (
  select device_id, date_bin('1 hour', bucket, timestamptz 'epoch') as bucket, min(seq_low) as low, max(seq_high) as high
  from telemetry.rollups_five_minutes
  where bucket >= date_bin('1 hour', now() - interval '8 days', timestamptz 'epoch') and seq_high is not null
  group by 1, 2
) s
where h.device_id = s.device_id and h.bucket = s.bucket;

-- a device's hours by the highest pair in them: the hours that may hold a pair, and the
-- device's high-water mark
create index rollups_hour_sequence_idx on telemetry.rollups_hour (device_id, seq_high);
drop index telemetry.readings_sequence_idx;

-- Down Migration
create index readings_sequence_idx on telemetry.readings (device_id, boot_seq, seq);
drop index telemetry.rollups_hour_sequence_idx;
alter table telemetry.rollups_hour drop column seq_low, drop column seq_high;
alter table telemetry.rollups_five_minutes drop column seq_low, drop column seq_high;
alter table telemetry.rollup_pending drop column boot_seq, drop column seq;
