/**
 * A very small shell for the simulated runtime, so that hollow pods produce real output
 * (`kubectl logs`) and answer `kubectl exec` without any process: it understands
 *   echo [-n] ..., printf FMT ARGS, sleep N|inf, exit N, true, false, :, hostname, env,
 *   cat (copies stdin), `for V in a b c; do ...; done`, `while true; do ...; done`,
 *   `;` `&&` `||` and newlines, '...' "..." quoting, $VAR ${VAR} $?, and `>&2`.
 * A command line it does not understand parses to undefined: the caller then falls back
 * to its plain "run until stopped" behaviour.
 */

type Part = { text: string; expand: boolean };
type Word = Part[];
type Tok = { op: ';' | '&&' | '||' } | { word: Word; raw: string };

export type Stmt =
  | { kind: 'cmd'; words: Word[]; toStderr: boolean }
  | { kind: 'for'; variable: string; items: Word[]; body: Node[] }
  | { kind: 'while'; cond: Node[]; body: Node[] };
/** A statement and how it joins the previous one (`;`, `&&`, `||`). */
export type Node = { join: ';' | '&&' | '||'; stmt: Stmt };

const BUILTINS = new Set(['echo', 'printf', 'sleep', 'exit', 'true', 'false', ':', 'hostname', 'env', 'cat', '/bin/true', '/bin/false', '/bin/echo', '/bin/sleep', '/bin/cat', '/bin/hostname', '/usr/bin/env']);

function tokenize(src: string): Tok[] | undefined {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      toks.push({ op: ';' });
      i++;
      continue;
    }
    if (src.startsWith('&&', i) || src.startsWith('||', i)) {
      toks.push({ op: src.slice(i, i + 2) as '&&' | '||' });
      i += 2;
      continue;
    }
    if (c === '|' || c === '&' || c === '<' || c === '(' || c === ')' || c === '`') return undefined;
    if (src.startsWith('>&2', i) || src.startsWith('1>&2', i)) {
      const len = src[i] === '1' ? 4 : 3;
      toks.push({ word: [{ text: '>&2', expand: false }], raw: '>&2' });
      i += len;
      continue;
    }
    if (c === '>') return undefined;
    const word: Word = [];
    let raw = '';
    while (i < src.length && !' \t\n;|&<>()'.includes(src[i])) {
      const ch = src[i];
      if (ch === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word.push({ text: src.slice(i + 1, end), expand: false });
        raw += src.slice(i, end + 1);
        i = end + 1;
      } else if (ch === '"') {
        let j = i + 1;
        let text = '';
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\' && j + 1 < src.length && '"\\$`'.includes(src[j + 1])) {
            text += src[j + 1];
            j += 2;
          } else text += src[j++];
        }
        if (j >= src.length) return undefined;
        word.push({ text, expand: true });
        raw += src.slice(i, j + 1);
        i = j + 1;
      } else if (ch === '\\' && i + 1 < src.length) {
        word.push({ text: src[i + 1], expand: false });
        raw += src.slice(i, i + 2);
        i += 2;
      } else if (ch === '`') return undefined;
      else {
        const last = word[word.length - 1];
        if (last?.expand) last.text += ch;
        else word.push({ text: ch, expand: true });
        raw += ch;
        i++;
      }
    }
    toks.push({ word, raw });
  }
  return toks;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peekRaw(): string | undefined {
    const t = this.toks[this.i];
    return t && 'raw' in t ? t.raw : undefined;
  }

  private skipSeps(): void {
    while (this.i < this.toks.length && 'op' in this.toks[this.i] && (this.toks[this.i] as any).op === ';') this.i++;
  }

  /** Statements until one of the stop keywords (not consumed). */
  list(stops: string[]): Node[] | undefined {
    const out: Node[] = [];
    let join: Node['join'] = ';';
    this.skipSeps();
    while (this.i < this.toks.length) {
      const r = this.peekRaw();
      if (r !== undefined && stops.includes(r)) break;
      const stmt = this.stmt();
      if (!stmt) return undefined;
      out.push({ join, stmt });
      const t = this.toks[this.i];
      if (t && 'op' in t) {
        join = t.op;
        this.i++;
        if (join === ';') this.skipSeps();
      } else join = ';';
    }
    return out;
  }

  private expect(kw: string): boolean {
    this.skipSeps();
    if (this.peekRaw() !== kw) return false;
    this.i++;
    return true;
  }

  private stmt(): Stmt | undefined {
    const r = this.peekRaw();
    if (r === 'for') {
      this.i++;
      const v = this.peekRaw();
      if (!v || !/^[A-Za-z_]\w*$/.test(v)) return undefined;
      this.i++;
      if (this.peekRaw() !== 'in') return undefined;
      this.i++;
      const items: Word[] = [];
      while (this.i < this.toks.length && 'word' in this.toks[this.i]) items.push((this.toks[this.i++] as any).word);
      if (!this.expect('do')) return undefined;
      const body = this.list(['done']);
      if (!body || !this.expect('done')) return undefined;
      return { kind: 'for', variable: v, items, body };
    }
    if (r === 'while') {
      this.i++;
      const cond = this.list(['do']);
      if (!cond || !this.expect('do')) return undefined;
      const body = this.list(['done']);
      if (!body || !this.expect('done')) return undefined;
      return { kind: 'while', cond, body };
    }
    const words: Word[] = [];
    let toStderr = false;
    while (this.i < this.toks.length && 'word' in this.toks[this.i]) {
      const t = this.toks[this.i++] as { word: Word; raw: string };
      if (t.raw === '>&2') toStderr = true;
      else words.push(t.word);
    }
    if (!words.length) return undefined;
    const name = words[0].map((p) => p.text).join('');
    if (!BUILTINS.has(name)) return undefined;
    return { kind: 'cmd', words, toStderr };
  }
}

const TALKERS = new Set(['echo', 'printf', 'hostname', 'env', 'cat']);

/** Whether a program prints or reads anything (a program of sleeps and exits needs no process to simulate). */
export function hasIO(prog: Node[]): boolean {
  return prog.some(({ stmt: s }) =>
    s.kind === 'cmd' ? TALKERS.has(s.words[0].map((p) => p.text).join('').replace(/^\/(usr\/)?bin\//, '')) : s.kind === 'for' ? hasIO(s.body) : hasIO(s.cond) || hasIO(s.body),
  );
}

/** Parses a shell script; undefined when it uses anything this shell does not know. */
export function parseScript(src: string): Node[] | undefined {
  const toks = tokenize(src);
  if (!toks) return undefined;
  const p = new Parser(toks);
  const out = p.list([]);
  return out && out.length ? out : undefined;
}

/** The program of a command line (`sh -c SCRIPT`, or a single known command); undefined if not understood. */
export function parseCommand(argv: string[]): Node[] | undefined {
  if (!argv.length) return undefined;
  const sh = /^(\/bin\/|\/usr\/bin\/)?(sh|bash|ash)$/.test(argv[0]);
  if (sh && argv[1] === '-c' && argv.length >= 3) return parseScript(argv[2]);
  if (sh) return undefined;
  if (!BUILTINS.has(argv[0])) return undefined;
  return [{ join: ';', stmt: { kind: 'cmd', words: argv.map((a) => [{ text: a, expand: false }]), toStderr: false } }];
}

export interface ShellIO {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Reads all of stdin (for `cat`); undefined when the command has no stdin. */
  readStdin?: (onData: (s: string) => void) => Promise<void>;
  env: Record<string, string>;
  hostname: string;
  signal: AbortSignal;
}

class Exit {
  constructor(readonly code: number) {}
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      if (t) clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function printf(fmt: string, args: string[]): string {
  let k = 0;
  const unescape = (s: string) => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  let out = '';
  do {
    out += unescape(fmt).replace(/%[sd%]/g, (m) => (m === '%%' ? '%' : (args[k++] ?? '')));
  } while (k < args.length && k > 0);
  return out;
}

/** Runs a parsed program; resolves with its exit status (aborting ends it with 143). */
export async function runProgram(prog: Node[], io: ShellIO): Promise<number> {
  const vars: Record<string, string> = { ...io.env };
  let status = 0;
  const expand = (w: Word): string =>
    w.map((p) => (p.expand ? p.text.replace(/\$(\?|\{(\w+)\}|(\w+))/g, (_m, q, a, b) => (q === '?' ? String(status) : (vars[a ?? b] ?? '')) ) : p.text)).join('');
  const runCmd = async (s: Extract<Stmt, { kind: 'cmd' }>): Promise<number> => {
    const argv = s.words.map(expand);
    const name = argv[0].replace(/^\/(usr\/)?bin\//, '');
    const out = (t: string) => (s.toStderr ? io.stderr(t) : io.stdout(t));
    switch (name) {
      case 'echo': {
        const noNl = argv[1] === '-n';
        out(argv.slice(noNl ? 2 : 1).join(' ') + (noNl ? '' : '\n'));
        return 0;
      }
      case 'printf':
        out(printf(argv[1] ?? '', argv.slice(2)));
        return 0;
      case 'sleep': {
        const a = argv[1] ?? '0';
        const ms = /^inf(inity)?$/.test(a) ? Infinity : Number(a.replace(/s$/, '')) * 1000;
        if (Number.isNaN(ms)) {
          io.stderr(`sleep: invalid number '${a}'\n`);
          return 1;
        }
        await sleep(ms, io.signal);
        return 0;
      }
      case 'exit':
        throw new Exit(argv[1] === undefined ? status : Number(argv[1]) & 255);
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'hostname':
        out(io.hostname + '\n');
        return 0;
      case 'env':
        out(Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(''));
        return 0;
      case 'cat':
        if (io.readStdin) await io.readStdin(out);
        return 0;
      default:
        io.stderr(`sh: ${name}: not found\n`);
        return 127;
    }
  };
  const runList = async (nodes: Node[]): Promise<number> => {
    for (const n of nodes) {
      if (io.signal.aborted) throw new Exit(143);
      if (n.join === '&&' && status !== 0) continue;
      if (n.join === '||' && status === 0) continue;
      const s = n.stmt;
      if (s.kind === 'cmd') status = await runCmd(s);
      else if (s.kind === 'for') {
        for (const item of s.items.map(expand).flatMap((x) => x.split(/\s+/).filter(Boolean))) {
          vars[s.variable] = item;
          await runList(s.body);
        }
      } else {
        // Hollow pods share the agent's process: a loop without sleep runs at most 100
        // rounds a second instead of spinning (and filling its log) at full speed.
        for (;;) {
          if (io.signal.aborted) throw new Exit(143);
          if ((await runList(s.cond)) !== 0) break;
          await runList(s.body);
          await sleep(10, io.signal);
        }
        status = 0;
      }
    }
    return status;
  };
  try {
    return await runList(prog);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    throw err;
  }
}
