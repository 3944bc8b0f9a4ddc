/**
 * A benchmark's clean-up (its processes stopped, its database and Redis keys dropped), run
 * once: by the benchmark's `finally`, or at the first SIGINT or SIGTERM (Ctrl-C, `kill`),
 * after which the process exits with 130 or 143. Without it, an interrupted run left its
 * database and keys behind (and work of the run failing as the clean-up closed its pool ended
 * the process first). A second signal while the clean-up runs ends the process at once.
 */
export function cleanUpOnce(cleanUp: () => Promise<void>, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = (): Promise<void> => (running ??= cleanUp());
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`bench: ${signal}: stopping and cleaning up (a second ${signal} stops at once)`);
    // the interrupted run's own work fails as its pool and processes go (a poll on an ended
    // pool): reported, and not allowed to end the process before the clean-up has run
    process.on('unhandledRejection', (reason) => log(`bench: interrupted: ${reason instanceof Error ? reason.message : String(reason)}`));
    once()
      .catch((error: unknown) => log(`bench: clean-up failed: ${(error as Error).message}`))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return once;
}
