import fs from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../lib/config';

/**
 * `node dist/bench/ingest/pg-sample.js [--seconds 400]` (after a build), next to a running
 * `bench:ingest`: where PostgreSQL's CPU goes, by statement. Every 200 ms it reads each
 * PostgreSQL process's CPU time from /proc (Linux) and what `pg_stat_activity` says the
 * process is doing, and charges the CPU used since the last sample to that: the statement
 * of an active backend (its first 60 characters), "idle" for a backend between statements
 * (short statements that ended within the 200 ms land there), or the process kind
 * (checkpointer, autovacuum, WAL writer...). An estimate by sampling, not a profile: long
 * statements (the rollup fold) are caught active, short ones partly as idle. A process that
 * ends between two samples (a parallel worker, an autovacuum worker, a closed connection) is
 * charged through the postmaster's reaped-children time, as "ended between samples". Prints
 * one line per class, the largest first, then one JSON line.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '400' } } });
  const url = new URL(loadConfig().DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const ticksPerSecond = 100;
  const last = new Map<string, number>();
  // a process's ticks when first seen that fall within the sampling (not charged by any
  // sample): 0 for the processes of the first sample, whose earlier time is outside it; and
  // the postmaster's reaped ticks
  const first = new Map<string, number>();
  let reaped: number | undefined;
  const byClass = new Map<string, number>();
  let total = 0;
  const deadline = Date.now() + Number(values.seconds) * 1000;
  try {
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ pid: number; backend_type: string; state: string | null; query: string | null }>(
        'select pid, backend_type, state, query from pg_stat_activity where pid <> pg_backend_pid()',
      );
      const activity = new Map(rows.map((row) => [String(row.pid), row]));
      const seen = new Set<string>();
      let reapedNow = 0;
      for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
        let ticks: number;
        try {
          if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
          // the postmaster (its parent is no postgres): its ended children's cutime + cstime
          if (fs.readFileSync(`/proc/${fields[1]}/comm`, 'utf8').trim() !== 'postgres') reapedNow += Number(fields[13]) + Number(fields[14]);
        } catch {
          continue; // the process ended
        }
        seen.add(pid);
        const before = last.get(pid);
        last.set(pid, ticks);
        if (before === undefined) first.set(pid, reaped === undefined ? 0 : ticks);
        if (before === undefined || ticks <= before) continue;
        total += ticks - before;
        const name = classify(activity.get(pid));
        byClass.set(name, (byClass.get(name) ?? 0) + ticks - before);
      }
      // what the ended processes used that no sample charged: their whole time, reaped, less
      // what was charged to them while they ran and, for those there from the start, what
      // they used before it
      let charged = 0;
      for (const [pid, ticks] of last) {
        if (seen.has(pid)) continue;
        charged += ticks - first.get(pid)!;
        last.delete(pid);
        first.delete(pid);
      }
      if (reaped !== undefined && reapedNow - reaped > charged) {
        total += reapedNow - reaped - charged;
        byClass.set(ENDED, (byClass.get(ENDED) ?? 0) + reapedNow - reaped - charged);
      }
      reaped = reapedNow;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
  const classes = [...byClass].sort((a, b) => b[1] - a[1]);
  for (const [name, ticks] of classes.slice(0, 25)) {
    console.log(`${((100 * ticks) / total).toFixed(1).padStart(5)} %  ${(ticks / ticksPerSecond).toFixed(1).padStart(7)} s  ${name}`);
  }
  console.log(JSON.stringify({ bench: 'pg-sample', cpuSeconds: total / ticksPerSecond, classes: Object.fromEntries(classes.map(([name, ticks]) => [name, ticks / ticksPerSecond])) }));
}

const ENDED = 'ended between samples (parallel workers, autovacuum workers, closed connections)';

function classify(row: { backend_type: string; state: string | null; query: string | null } | undefined): string {
  if (!row) return 'unknown (no pg_stat_activity row)';
  if (row.backend_type !== 'client backend') return row.backend_type;
  if (row.state !== 'active') return 'idle (between statements)';
  return `active: ${(row.query ?? '').replace(/\s+/g, ' ').trim().slice(0, 60)}`;
}

main().catch((error) => {
  console.error(`pg-sample: ${(error as Error).message}`);
  process.exit(1);
});
