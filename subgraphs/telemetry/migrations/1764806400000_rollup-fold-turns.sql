-- Up Migration
-- When each partition of the parked rollup deltas was last folded, so that the fold keeps one
-- cadence for the whole deployment: every worker process cycles through the partitions, and
-- one that finds a partition folded within the interval skips it (two workers would
-- otherwise fold twice as often, each fold with half the readings per device, which costs
-- more per reading: bench/ingest/pg-cost.ts).
create table telemetry.rollup_fold_turns (
  part smallint primary key check (part between 0 and 15),
  folded_at timestamptz not null default 'epoch'
);
insert into telemetry.rollup_fold_turns (part) select generate_series(0, 15);

-- Down Migration
drop table telemetry.rollup_fold_turns;
