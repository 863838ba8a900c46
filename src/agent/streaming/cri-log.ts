/**
 * Container logs in the CRI log format, as containerd (and skiff's simulated runtime)
 * write them and the kubelet reads them for `kubectl logs`:
 *
 *   2016-10-06T00:17:09.669794202Z stdout F some text
 *   2016-10-06T00:17:09.669794202Z stderr P a long line, first part
 *
 * (RFC 3339 time with nanoseconds, stream, tag F = full line / P = partial, content).
 * The reader applies the PodLogOptions the kubelet applies: tailLines (counted in log
 * entries from the end), sinceTime, timestamps (the entry's own time, printed only at
 * the start of an output line, so partial entries join up), limitBytes, and follow
 * (keep reading as the file grows; stop once the container has exited and the file is
 * drained).
 */
import { appendFileSync, mkdirSync, renameSync, statSync, watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

export interface CriLogEntry {
  /** The timestamp text exactly as written (RFC 3339 with nanoseconds). */
  timeText: string;
  time: Date;
  stream: LogStream;
  partial: boolean;
  /** Content without the trailing newline. */
  content: Buffer;
}

export interface LogReadOptions {
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
  follow?: boolean;
}

/** RFC 3339 with nine fractional digits (what containerd writes); sub-millisecond digits come from hrtime. */
export function criTimestamp(d: Date, nanosWithinMs = 0): string {
  const iso = d.toISOString(); // 2016-10-06T00:17:09.669Z
  return `${iso.slice(0, 23)}${String(nanosWithinMs).padStart(6, '0').slice(0, 6)}Z`;
}

/** Parses one line of a CRI log file (without its newline); undefined if malformed. */
export function parseCriLine(line: Buffer): CriLogEntry | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const timeText = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag is absent in very old files (then the rest is content, full line).
  const s3 = line.indexOf(0x20, s2 + 1);
  let tag = 'F';
  let content: Buffer;
  const maybeTag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString('latin1');
  if (/^[FP](:.*)?$/.test(maybeTag)) {
    tag = maybeTag[0];
    content = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  } else content = line.subarray(s2 + 1);
  const time = new Date(timeText);
  if (Number.isNaN(time.getTime())) return undefined;
  return { timeText, time, stream, partial: tag === 'P', content };
}

/** One CRI log line (with newline) for content that holds no newline. */
export function formatCriLine(time: Date, stream: LogStream, content: string | Buffer, partial = false): Buffer {
  return Buffer.concat([Buffer.from(`${criTimestamp(time)} ${stream} ${partial ? 'P' : 'F'} `), Buffer.from(content), Buffer.from('\n')]);
}

/**
 * Appends a container's output to its CRI log file, one entry per output line (a chunk
 * without a final newline becomes a partial entry). Synchronous so that an exit seen by
 * the agent always comes after the last line is on disk.
 */
export class CriLogWriter {
  /** Bytes in the current file; unknown until the first write (the file and its folder are made lazily). */
  private size?: number;

  /** maxBytes: rotate past this size (the kubelet's containerLogMaxSize, 10Mi), keeping one rotated file. */
  constructor(
    readonly path: string,
    private readonly maxBytes = 10 * 1024 * 1024,
  ) {}

  write(stream: LogStream, data: string | Buffer, now = new Date()): void {
    const buf = Buffer.from(data);
    const out: Buffer[] = [];
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) {
        out.push(formatCriLine(now, stream, buf.subarray(start), true));
        break;
      }
      out.push(formatCriLine(now, stream, buf.subarray(start, nl)));
      start = nl + 1;
    }
    if (!out.length) return;
    const b = Buffer.concat(out);
    if (this.size === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      try {
        this.size = statSync(this.path).size;
      } catch {
        this.size = 0;
      }
    }
    if (this.size > 0 && this.size + b.length > this.maxBytes) {
      // kubectl logs reads the current file only, as with the kubelet's rotation.
      renameSync(this.path, `${this.path}.1`);
      this.size = 0;
    }
    appendFileSync(this.path, b);
    this.size += b.length;
  }
}

/**
 * The kubelet prints --timestamps with exactly nine fractional digits
 * ("2006-01-02T15:04:05.000000000Z07:00"), while containerd writes RFC3339Nano, which
 * drops trailing zeros ("...:09.6697942Z"): pad (or cut) the fraction to nine digits.
 */
export function fixedWidthTime(text: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return text;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

/** Byte offset where the last `n` lines of the file start (0 if it has fewer). */
async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  const chunk = 64 * 1024;
  let pos = size;
  let newlines = 0;
  // A final newline ends the last line; it does not start another one.
  let skipLast = true;
  while (pos > 0) {
    const len = Math.min(chunk, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, pos);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (skipLast && pos + i === size - 1) continue;
      newlines++;
      if (newlines === n) return pos + i + 1;
    }
    skipLast = false;
  }
  return 0;
}

/** Where log output goes; write returns false when the consumer wants no more (limitBytes reached, client gone). */
export interface LogSink {
  write(b: Buffer): boolean;
}

/** Formats entries for output under the options, tracking line starts and the byte limit. */
class LogFormatter {
  private atLineStart = true;
  private written = 0;
  constructor(
    private readonly o: LogReadOptions,
    private readonly sink: LogSink,
  ) {}

  /** Returns false once no more output is wanted. */
  emit(e: CriLogEntry): boolean {
    if (this.o.sinceTime && e.time.getTime() < this.o.sinceTime.getTime()) return true;
    const parts: Buffer[] = [];
    if (this.o.timestamps && this.atLineStart) parts.push(Buffer.from(`${fixedWidthTime(e.timeText)} `));
    parts.push(e.content);
    if (!e.partial) parts.push(Buffer.from('\n'));
    this.atLineStart = !e.partial;
    let out = Buffer.concat(parts);
    if (this.o.limitBytes !== undefined) {
      const left = this.o.limitBytes - this.written;
      if (out.length >= left) {
        this.sink.write(out.subarray(0, left));
        this.written += left;
        return false;
      }
    }
    this.written += out.length;
    return this.sink.write(out);
  }
}

export interface ReadLogOptions extends LogReadOptions {
  path: string;
  sink: LogSink;
  signal: AbortSignal;
  /** While following: whether the container still runs (following ends once it does not and the file is drained). */
  isRunning?: () => boolean | Promise<boolean>;
  /** Safety re-check interval while following (file watches can miss events). */
  pollMs?: number;
}

/** Streams a CRI log file to the sink under the PodLogOptions; resolves when done. */
export async function readCriLog(o0: ReadLogOptions): Promise<void> {
  let o = o0;
  const fmt = new LogFormatter(o, o.sink);
  let fh: FileHandle | undefined;
  let offset = 0;
  let pending = Buffer.alloc(0);
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const openFile = async (): Promise<boolean> => {
      if (fh) return true;
      try {
        fh = await open(o.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      const size = (await fh.stat()).size;
      offset = o.tailLines !== undefined ? await tailOffset(fh, size, o.tailLines) : 0;
      return true;
    };
    /** Reads what the file holds now; false when output should stop. */
    const drain = async (): Promise<boolean> => {
      if (!(await openFile())) return true;
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        if (o.signal.aborted) return false;
        const { bytesRead } = await fh!.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) return true;
        offset += bytesRead;
        let data = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        let start = 0;
        for (;;) {
          const nl = data.indexOf(0x0a, start);
          if (nl < 0) break;
          const e = parseCriLine(data.subarray(start, nl));
          start = nl + 1;
          if (e && !fmt.emit(e)) return false;
        }
        pending = Buffer.from(data.subarray(start));
        data = pending;
      }
    };
    if (!(await drain()) || !o.follow) return;
    for (;;) {
      if (o.signal.aborted) return;
      const running = o.isRunning ? await o.isRunning() : true;
      if (!running) {
        await drain();
        return;
      }
      if (!watcher && (await exists(o.path))) {
        try {
          watcher = watch(o.path, () => wake?.());
          watcher.on('error', () => {});
        } catch {
          /* fall back to polling */
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.pollMs ?? 250);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      if (!(await drain())) return;
      // Rotated: the name now holds a new file. Finish the old one, then follow the new.
      if (fh && (await rotated(fh, o.path))) {
        if (!(await drain())) return;
        await fh.close();
        fh = undefined;
        pending = Buffer.alloc(0);
        watcher?.close();
        watcher = undefined;
        o = { ...o, tailLines: undefined };
        if (!(await drain())) return;
      }
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh?.close();
  }
}

async function rotated(fh: FileHandle, path: string): Promise<boolean> {
  try {
    return (await stat(path)).ino !== (await fh.stat()).ino;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
