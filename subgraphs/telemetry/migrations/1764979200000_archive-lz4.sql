-- Up Migration
-- Long archive blobs are compressed by PostgreSQL from now on, not by the ingestion worker:
-- the worker's deflate was a tenth of its CPU at 100,000 devices (docs/benchmarks.md, runs
-- of 2026-11-27), and lz4 at TOAST time costs the database a fraction of that. PostgreSQL
-- compresses only rows over ~2 KB, so the worker still deflates shorter blobs (archive.ts).
-- `codec` says how a blob's bytes are laid out: 'deflate-raw' for blobs a worker compressed
-- (every blob before this migration, and any a worker of the previous version still writes,
-- since it names no codec), 'none' for the records as they are.
alter table telemetry.archive add column codec text not null default 'deflate-raw' check (codec in ('deflate-raw', 'none'));
do $$
begin
  alter table telemetry.archive alter column blob set compression lz4;
exception when feature_not_supported then
  raise notice 'this PostgreSQL has no lz4: archive blobs are compressed with pglz';
end $$;

-- Down Migration
alter table telemetry.archive alter column blob set compression default;
alter table telemetry.archive drop column codec;
