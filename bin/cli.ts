import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { ConfigError, loadConfig } from '../lib/config';
import { createPool, redactUrl } from '../lib/postgres';
import { InputError } from '../lib/input-error';
import { unreachableMessage } from '../lib/dependencies';
import type { Command, CommandContext } from './cli/command';
import { commands } from './cli/commands';

const USAGE = `usage: npm run cli -- <noun> <verb> [--flags] [--json]

${Object.entries(commands)
  .flatMap(([noun, verbs]) => Object.entries(verbs).map(([verb, command]) => `  ${noun} ${verb} ${command.usage}`))
  .join('\n')}
`;

function fail(message: string, code: number): never {
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(code);
}

function render(result: object, json: boolean): string {
  if (json) return JSON.stringify(result);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    lines.push(`${key}: ${typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : String(value)}`);
  }
  return lines.length ? lines.join('\n') : 'ok';
}

async function main(argv: string[]): Promise<void> {
  const [noun, verb, ...rest] = argv;
  if (!noun || noun === '--help' || noun === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const command: Command | undefined = commands[noun]?.[verb ?? ''];
  if (!command) fail(`unknown command "${[noun, verb].filter(Boolean).join(' ')}"; run \`npm run cli -- help\` for the list`, 2);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, json: { type: 'boolean' } }, strict: true, allowPositionals: false });
  } catch (error) {
    fail(`${noun} ${verb}: ${(error as Error).message}`, 2);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const json = values.json === true;

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    fail((error as Error).message, error instanceof ConfigError ? 78 : 1);
  }
  let pool: Pool | null = null;
  const ctx: CommandContext = {
    config,
    pool: () => (pool ??= createPool(config.DATABASE_URL, { service: 'cli', max: 4 })),
  };
  try {
    const result = await command.run(ctx, values);
    process.stdout.write(`${render(result, json)}\n`);
  } catch (error) {
    if (error instanceof InputError) fail(`${noun} ${verb}: ${error.message}`, 2);
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000') {
      fail(unreachableMessage('cli', 'PostgreSQL', config.DATABASE_URL, error) + (code === '3D000' ? ' (database missing: run npm start or npm run migrate)' : ''), 69);
    }
    fail(`${noun} ${verb} failed: ${(error as Error).message} (database ${redactUrl(config.DATABASE_URL)})`, 1);
  } finally {
    await (pool as Pool | null)?.end();
  }
}

void main(process.argv.slice(2));
