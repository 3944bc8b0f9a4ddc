/**
 * Runs `stop` once, on the first SIGTERM or SIGINT; later signals are ignored while it runs.
 * A stop is often signalled twice: `kill` of the process group (docker, systemd, the
 * benchmarks) reaches every service directly and `npm start` then forwards its own SIGTERM,
 * and Ctrl-C sends SIGINT to the group before the forwarded SIGTERM. With `process.once`
 * the second signal found no listener and killed the service mid-stop (its connections not
 * closed, a second `pool.end()` reported as an unclean stop).
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  const once = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
}
