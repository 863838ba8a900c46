/**
 * Child process for the crash test: writes keys to a SQLite store as fast as it can,
 * 16 at a time, printing each key once its write is acknowledged.
 */
import { SqliteBackend } from './sqlite.js';

const [path, prefix] = process.argv.slice(2);
const b = new SqliteBackend({ path, compactIntervalMs: 0 });
let i = 0;
async function worker(): Promise<void> {
  for (;;) {
    const key = `${prefix}${i++}`;
    await b.create(key, `value-of-${key}`);
    process.stdout.write(key + '\n');
  }
}
for (let w = 0; w < 16; w++) void worker();
