#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `npm run build` first).
import v8 from 'node:v8';

// A node agent keeps little garbage alive: holding V8's young generation at its initial
// semi-space size (instead of letting it grow to 16 MB while modules load and pods start)
// keeps the agent's RSS near 70 MB for slightly more frequent, cheap scavenges. Unlike the
// semi-space size itself, this flag takes effect at run time, so it is set before anything loads.
if (process.argv[2] === 'agent') v8.setFlagsFromString('--semi-space-growth-factor=1');

import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
