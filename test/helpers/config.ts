import { loadConfig, type Config } from '../../lib/config';

/** The configuration every test uses: the run's own database and Redis prefix (global-setup). */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}
