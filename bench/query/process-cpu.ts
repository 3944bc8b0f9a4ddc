import fs from 'node:fs';

/** Linux clock ticks per second as /proc reports CPU time (USER_HZ, 100 on every common kernel). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) used so far by the live processes of a process group, read
 * from /proc: the platform's services run in the group `npm start` leads. Unlike latency it
 * hardly depends on what else the machine runs. NaN where there is no /proc.
 */
export function groupCpuMs(groupId: number): number {
  return cpuMsWhere((fields) => Number(fields[2]) === groupId);
}

/** CPU time (user + system, ms) of one process and its direct children (e.g. cluster workers). */
export function processTreeCpuMs(pid: number): number {
  return cpuMsWhere((fields, id) => id === pid || Number(fields[1]) === pid);
}

/** `fields` are those after the parenthesised command name: state ppid pgrp ... utime(11) stime(12). */
function cpuMsWhere(selected: (fields: string[], pid: number) => boolean): number {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return Number.NaN;
  }
  let ticks = 0;
  for (const pid of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (selected(fields, Number(pid))) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
