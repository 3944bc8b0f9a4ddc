import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import { InputError } from '../../lib/input-error';
import { isUuid } from '../../schema/ids';

export type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean };

export interface CommandContext {
  config: Config;
  /** Opened on first use, closed by the CLI when the command ends. */
  pool(): Pool;
}

export interface Command {
  usage: string;
  options: Record<string, OptionSpec>;
  run(ctx: CommandContext, options: Record<string, string | boolean | undefined>): Promise<object>;
}

export function required(options: Record<string, string | boolean | undefined>, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(`--${name} is required`, name);
  return value.trim();
}

export function optional(options: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function integer(options: Record<string, string | boolean | undefined>, name: string, fallback: number, min: number, max: number): number {
  const value = optional(options, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`, name);
  }
  return Number(value);
}

export function uuid(options: Record<string, string | boolean | undefined>, name: string): string {
  const value = required(options, name);
  if (!isUuid(value)) throw new InputError(`--${name} must be an id (a UUID), got ${JSON.stringify(value)}`, name);
  return value.toLowerCase();
}
