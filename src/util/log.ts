/**
 * A small structured, levelled logger (klog-like text lines on stderr):
 *   I1122 14:03:05.123 apiserver "listening" addr="127.0.0.1:6443"
 * Components take a Logger and tag it with their name; tests can pass `silentLogger`.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LETTER: Record<Level, string> = { debug: 'D', info: 'I', warn: 'W', error: 'E' };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function fmt(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v) ?? 'undefined';
}

export function createLogger(opts: { level?: Level; component?: string; write?: (line: string) => void } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const make = (component: string): Logger => {
    const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
      if (ORDER[level] < min) return;
      const d = new Date();
      const ts = `${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')} ${d.toISOString().slice(11, 23)}`;
      let line = `${LETTER[level]}${ts} ${component} ${JSON.stringify(msg)}`;
      if (fields) for (const [k, v] of Object.entries(fields)) line += ` ${k}=${fmt(v)}`;
      write(line);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (c) => make(component ? `${component}/${c}` : c),
    };
  };
  return make(opts.component ?? 'skiff');
}

export const silentLogger: Logger = createLogger({ write: () => {} });
