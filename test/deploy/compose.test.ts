import { execFileSync, spawnSync } from 'node:child_process';
import { projectRoot } from '../../lib/paths';

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever this machine has. */
function composeCommand(): string[] | null {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return command;
  }
  return null;
}

const compose = composeCommand();
const env = {
  ...process.env,
  CYPERNEX_MASTER_KEY: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  POSTGRES_PASSWORD: 'compose-check',
  AUTH_ISSUER: 'https://id.example.com',
};

(compose ? describe : describe.skip)('docker-compose.yml', () => {
  it('is a valid compose file', () => {
    execFileSync(compose![0]!, [...compose!.slice(1), 'config', '-q'], { cwd: projectRoot, env, stdio: 'pipe' });
  });

  it('refuses to render without the master key', () => {
    const { CYPERNEX_MASTER_KEY: _omitted, ...withoutKey } = env;
    const result = spawnSync(compose![0]!, [...compose!.slice(1), 'config', '-q'], { cwd: projectRoot, env: withoutKey, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('CYPERNEX_MASTER_KEY');
  });

  it('runs every service of the platform', () => {
    const services = execFileSync(compose![0]!, [...compose!.slice(1), 'config', '--services'], { cwd: projectRoot, env, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(services.sort()).toEqual(['auth', 'device', 'fleet', 'gateway', 'ingest', 'migrate', 'mosquitto', 'postgres', 'redis', 'telemetry', 'tenancy'].sort());
  });
});
