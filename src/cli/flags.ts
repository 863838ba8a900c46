/**
 * Flag parsing for skiff's commands: k3s-style `--flag value` / `--flag=value`, booleans
 * as `--flag`, unknown flags rejected, and a generated --help.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  help: string;
  default?: string | boolean;
  /** Shown in --help as the value placeholder. */
  metavar?: string;
  multiple?: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseFlags(specs: FlagSpec[], argv: string[]): Record<string, any> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const s of specs) options[s.name] = s.multiple ? { type: s.type, multiple: true } : { type: s.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^Unknown option '(.*)'.*$/s, 'unknown flag: $1'));
  }
  const out: Record<string, any> = {};
  for (const s of specs) out[s.name] = parsed.values[s.name] ?? s.default;
  out.help = parsed.values.help ?? false;
  return out;
}

export function helpText(usage: string, specs: FlagSpec[]): string {
  const lines = [usage, '', 'Flags:'];
  for (const s of specs) {
    const left = `  --${s.name}${s.type === 'string' ? ' ' + (s.metavar ?? 'value') : ''}`;
    const def = s.default !== undefined && s.default !== '' && s.default !== false ? ` (default ${JSON.stringify(s.default)})` : '';
    lines.push(`${left.padEnd(38)} ${s.help}${def}`);
  }
  lines.push(`${'  --help'.padEnd(38)} Show this help`);
  return lines.join('\n') + '\n';
}
