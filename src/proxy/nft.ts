/** Runs nftables programs (`nft -f -`, one atomic transaction each). */
import { spawn } from 'node:child_process';

export function runNft(program: string, o: { nft?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(o.nft ?? 'nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft failed (${code}): ${err.trim().split('\n').slice(0, 6).join(' | ')}`))));
    p.stdin.end(program);
  });
}

/** Removes skiff's table (no error if absent). */
export function deleteTable(table: string): Promise<void> {
  return runNft(`add table ip ${table}\ndelete table ip ${table}\n`);
}
