import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';

export { freePort } from '../../lib/ports';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of a process, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of every process named `name`, those that ended included: the live ones' own
 * time plus, for a parent among them (PostgreSQL's postmaster), the time of its children
 * that it has reaped (cutime + cstime). The difference of two readings is the CPU used in
 * between, by backends and parallel workers that came and went as well.
 */
export function cpuSecondsOfAll(name: string): number {
  const pids = pidsNamed(name);
  const live = new Set(pids);
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      // fields[1] is the parent: a process whose parent has another name is the top one
      if (!live.has(Number(fields[1]))) ticks += Number(fields[13]) + Number(fields[14]);
    } catch {
      // ended between the listing and the read: its time is in its parent's cutime now
    }
  }
  return ticks / TICKS;
}

/** Peak resident memory of a process (VmHWM), MiB. */
export function peakRssMiB(pid: number): number | null {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Math.round(Number(kib) / 1024) : null;
  } catch {
    return null;
  }
}

/** Every process whose command name is `name` (PostgreSQL runs one per connection). */
export function pidsNamed(name: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * A broker of the benchmark's own, so that its limits are stated rather than inherited:
 * no cap on queued or in-flight messages (zero loss is the point), no persistence writes.
 */
export function startBroker(port: number): ChildProcess {
  const file = path.join(os.tmpdir(), `cypernex-bench-mosquitto-${port}.conf`);
  fs.writeFileSync(
    file,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', 'max_keepalive 600'].join(
      '\n',
    ),
  );
  const broker = spawn('mosquitto', ['-c', file], { stdio: 'ignore' });
  broker.once('exit', () => fs.rmSync(file, { force: true }));
  return broker;
}

export async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The server's WAL position (bytes), checkpoints so far, and the settings that pace them. */
export async function walState(pool: Pool) {
  const { rows } = await pool.query<{ lsn: string; checkpoints: number; max_wal_size: string; shared_buffers: string }>(
    `select (pg_current_wal_lsn() - '0/0')::text as lsn, (checkpoints_timed + checkpoints_req)::int as checkpoints,
       current_setting('max_wal_size') as max_wal_size, current_setting('shared_buffers') as shared_buffers
     from pg_stat_bgwriter`,
  );
  const row = rows[0]!;
  return { lsn: BigInt(row.lsn.split('.')[0]!), checkpoints: row.checkpoints, maxWalSize: row.max_wal_size, sharedBuffers: row.shared_buffers };
}
