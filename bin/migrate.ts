import 'reflect-metadata';
import { exitOnConfigError, loadConfig } from '../lib/config';
import { migrate } from '../lib/migrate';
import { redactUrl } from '../lib/postgres';

async function main(): Promise<void> {
  const config = loadConfig();
  try {
    const result = await migrate(config.DATABASE_URL, (line) => console.error(line));
    if (result.createdDatabase) console.error(`migrate: created database ${redactUrl(config.DATABASE_URL)}`);
    console.error(`migrate: ${result.applied.length} migration(s) applied`);
  } catch (error) {
    console.error(`migrate: ${redactUrl(config.DATABASE_URL)}: ${(error as Error).message}`);
    process.exit(1);
  }
}

main().catch(exitOnConfigError);
