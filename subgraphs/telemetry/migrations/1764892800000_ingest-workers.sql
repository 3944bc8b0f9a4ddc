-- Up Migration
-- The ingestion workers' MQTT sessions, one per client id, and when each worker was last
-- heard of. Mosquitto hands a shared subscription's messages round-robin to every member
-- session, offline persistent ones included, so a worker taken out of service keeps being
-- handed its share until its session expires (7 days by default). `ingest workers` lists
-- them; `ingest retire` drains a retired worker's session into storage and ends it.
create table telemetry.ingest_workers (
  client_id text primary key,
  share_group text not null,
  region text not null,
  session_expiry_seconds integer not null,
  started_at timestamptz not null,
  seen_at timestamptz not null,
  -- set by a worker that stops cleanly; a crashed one just stops being seen
  stopped_at timestamptz
);

-- Down Migration
drop table telemetry.ingest_workers;
