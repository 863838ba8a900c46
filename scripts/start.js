#!/usr/bin/env node
// `npm start`: install what is missing, build, and run `skiff server` with its embedded
// defaults (extra arguments go to the server: `npm start -- --https-listen-port 7443`).
import { execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
if (!existsSync('node_modules/.package-lock.json')) execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
execSync(`"${process.execPath}" node_modules/typescript/bin/tsc -p tsconfig.json`, { stdio: 'inherit' });
const child = spawn(process.execPath, ['bin/skiff.js', 'server', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
