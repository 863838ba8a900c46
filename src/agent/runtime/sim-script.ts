/**
 * The tiny shell the simulated runtime understands, so probes and hooks can be tested
 * without processes. Each simulated container has a file set that its own command
 * changes over time and that exec commands (probes, hooks, ExecSync) read and change.
 *
 * A container command (`sh -c "..."` or a plain command) is understood when every
 * statement (split on `;`, `&&`, newlines) is one of:
 *   touch F..., rm [-f|-r] F..., mkdir [-p] D..., echo ... [> F | >> F], sleep N|inf,
 *   exit N, true, :, false, trap ... TERM (the container then ignores SIGTERM and dies
 *   by SIGKILL at the end of the grace period, exit code 137)
 * and then runs that timeline: `touch /tmp/healthy; sleep 30; rm -f /tmp/healthy;
 * sleep 600` has /tmp/healthy for 30 s and exits 0 after 630 s, as the Kubernetes docs'
 * liveness example. Other commands keep the older heuristics of planFor().
 *
 * Exec commands (`cat F`, `test -e F`, `[ -f F ]`, `ls F`, `sh -c "touch F; exit 3"`,
 * with `&&` / `||`) run against that file set: `cat` of a missing file fails with
 * busybox's message, `exit N` exits N, `sleep N` takes N seconds (and can time out).
 * Commands the simulation does not know succeed with no output, so manifests whose
 * probes call real tools keep their pods healthy on hollow nodes.
 */

export interface FileEvent {
  at: number;
  path: string;
  content: string | undefined; // undefined: removed
}

export interface ScriptPlan {
  exitCode?: number;
  durationMs?: number;
  /** File changes at offsets (ms) from the container's start. */
  files: { atMs: number; path: string; content: string | undefined }[];
  ignoresSigterm: boolean;
}

type Tok = { word: string } | { op: ';' | '&&' | '||' | '>' | '>>' };

/** Splits a shell line into words and operators, honouring single and double quotes. */
export function tokenize(line: string): Tok[] {
  const out: Tok[] = [];
  let cur: string | undefined;
  const push = () => {
    if (cur !== undefined) out.push({ word: cur });
    cur = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "'" || ch === '"') {
      const end = line.indexOf(ch, i + 1);
      const stop = end < 0 ? line.length : end;
      cur = (cur ?? '') + line.slice(i + 1, stop);
      i = stop;
    } else if (ch === ';' || ch === '\n') {
      push();
      out.push({ op: ';' });
    } else if (line.startsWith('&&', i) || line.startsWith('||', i) || line.startsWith('>>', i)) {
      push();
      out.push({ op: line.slice(i, i + 2) as '&&' });
      i++;
    } else if (ch === '>') {
      push();
      out.push({ op: '>' });
    } else if (/\s/.test(ch)) push();
    else cur = (cur ?? '') + ch;
  }
  push();
  return out;
}

export interface Statement {
  words: string[];
  redirect?: { append: boolean; path: string };
  /** The operator joining it to the previous statement. */
  join: ';' | '&&' | '||';
}

export function statements(line: string): Statement[] {
  const out: Statement[] = [];
  let st: Statement = { words: [], join: ';' };
  const toks = tokenize(line);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if ('word' in t) st.words.push(t.word);
    else if (t.op === '>' || t.op === '>>') {
      const next = toks[i + 1];
      if (next && 'word' in next) st.redirect = { append: t.op === '>>', path: next.word };
      i++;
    } else {
      if (st.words.length) out.push(st);
      st = { words: [], join: t.op };
    }
  }
  if (st.words.length) out.push(st);
  return out;
}

/** The script a command line runs: the argument of `sh -c`, or the words themselves. */
export function scriptOf(argv: string[]): string {
  if (argv.length >= 3 && /^(\/bin\/|\/usr\/bin\/)?(sh|bash|ash)$/.test(argv[0]) && argv[1] === '-c') return argv.slice(2).join(' ');
  return argv.map((w) => (/[\s;&|]/.test(w) ? `'${w}'` : w)).join(' ');
}

const seconds = (w: string | undefined): number | undefined => (w === 'inf' || w === 'infinity' ? Infinity : w !== undefined && /^\d+(\.\d+)?$/.test(w) ? Number(w) : undefined);

/** A container's timeline, or undefined when the command is beyond this tiny shell. */
export function planScript(argv: string[]): ScriptPlan | undefined {
  if (argv.length === 0) return undefined;
  const plan: ScriptPlan = { files: [], ignoresSigterm: false };
  let t = 0;
  let last = 0;
  for (const s of statements(scriptOf(argv))) {
    const [cmd, ...rest] = s.words;
    const paths = rest.filter((w) => !w.startsWith('-'));
    switch (cmd) {
      case 'touch':
      case 'mkdir':
        for (const p of paths) plan.files.push({ atMs: t, path: p, content: '' });
        last = 0;
        break;
      case 'rm':
        for (const p of paths) plan.files.push({ atMs: t, path: p, content: undefined });
        last = 0;
        break;
      case 'echo':
        if (s.redirect) plan.files.push({ atMs: t, path: s.redirect.path, content: `${rest.join(' ')}\n` });
        last = 0;
        break;
      case 'sleep': {
        const n = seconds(rest[0]);
        if (n === undefined) return undefined;
        if (n === Infinity) return plan;
        t += n * 1000;
        last = 0;
        break;
      }
      case 'exit':
        plan.exitCode = Number(rest[0] ?? last) || 0;
        plan.durationMs = t;
        return plan;
      case 'true':
      case ':':
        last = 0;
        break;
      case 'false':
        last = 1;
        break;
      case 'trap':
        if (!rest.some((w) => /^(SIG)?TERM$|^15$/.test(w))) return undefined;
        plan.ignoresSigterm = true;
        break;
      default:
        return undefined;
    }
  }
  plan.exitCode = last;
  plan.durationMs = t;
  return plan;
}

/** The files a simulated image starts with. */
const BASE = ['/', '/bin', '/bin/sh', '/etc', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/tmp', '/proc', '/dev'];

/** A container's file set: base files, then events in time order (the latest at or before `now` wins). */
export class SimFiles {
  readonly events: FileEvent[] = [];
  read(path: string, now: number): string | undefined {
    let v: string | undefined = BASE.includes(path) ? '' : undefined;
    for (const e of this.events) if (e.path === path && e.at <= now) v = e.content;
    return v;
  }
  write(path: string, content: string | undefined, now: number): void {
    this.events.push({ at: now, path, content });
  }
}

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Milliseconds of `sleep` the command asked for. */
  sleepMs: number;
}

/** Runs an exec command against a container's files (sleeps are summed, not waited here). */
export function execScript(argv: string[], files: SimFiles, now: number): ExecOutcome {
  const r: ExecOutcome = { exitCode: 0, stdout: '', stderr: '', sleepMs: 0 };
  let code = 0;
  for (const s of statements(scriptOf(argv))) {
    if ((s.join === '&&' && code !== 0) || (s.join === '||' && code === 0)) continue;
    const [cmd, ...rest] = s.words;
    const paths = rest.filter((w) => !w.startsWith('-') && w !== ']');
    const at = now + r.sleepMs;
    code = 0;
    switch (cmd) {
      case 'cat':
        for (const p of paths) {
          const v = files.read(p, at);
          if (v === undefined) {
            r.stderr += `cat: can't open '${p}': No such file or directory\n`;
            code = 1;
          } else r.stdout += v;
        }
        break;
      case 'ls':
        for (const p of paths) {
          if (files.read(p, at) === undefined) {
            r.stderr += `ls: ${p}: No such file or directory\n`;
            code = 1;
          } else r.stdout += `${p}\n`;
        }
        break;
      case 'test':
      case '[':
        code = paths.length && paths.every((p) => files.read(p, at) !== undefined) ? 0 : 1;
        break;
      case 'touch':
      case 'mkdir':
        for (const p of paths) files.write(p, files.read(p, at) ?? '', at);
        break;
      case 'rm':
        for (const p of paths) files.write(p, undefined, at);
        break;
      case 'echo': {
        const text = `${rest.join(' ')}\n`;
        if (s.redirect) files.write(s.redirect.path, (s.redirect.append ? (files.read(s.redirect.path, at) ?? '') : '') + text, at);
        else r.stdout += text;
        break;
      }
      case 'sleep':
        r.sleepMs += (seconds(rest[0]) ?? 0) * 1000;
        break;
      case 'false':
        code = 1;
        break;
      case 'exit':
        r.exitCode = Number(rest[0] ?? 0) || 0;
        return r;
      default:
        break; // true, :, and commands the simulation does not know
    }
  }
  r.exitCode = code;
  return r;
}
