/**
 * `skiff images import [--data-dir DIR] <archive.tar>...`: loads OCI or docker image
 * archives into the node's containerd (the k8s.io namespace the CRI uses), like
 * `k3s ctr images import` or `kind load image-archive`; `skiff images list` shows them.
 * The node agent (and so its containerd) must be running on this data dir, unless
 * --container-runtime-endpoint names another containerd.
 */
import { existsSync, readFileSync } from 'node:fs';
import { containerdPaths } from '../agent/runtime/cri/containerd.js';
import { importArchive, listImageNames } from '../agent/runtime/cri/images.js';
import { defaultDataDir } from '../server/config.js';
import { helpText, parseFlags, UsageError, type FlagSpec } from './flags.js';

const flags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'Data dir of the node whose containerd gets the images', default: defaultDataDir() },
  { name: 'container-runtime-endpoint', type: 'string', metavar: 'SOCKET', help: 'containerd socket (default: the one skiff runs in the data dir)' },
];
const USAGE = 'Usage: skiff images import [flags] <archive.tar>...\n       skiff images list [flags]\n\nImports OCI or docker image archives into the node\'s containerd (namespace k8s.io), or lists its images.';

/** Splits positional arguments from flags (string flags take the next word unless written --f=v). */
function split(argv: string[]): { positional: string[]; rest: string[] } {
  const positional: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) positional.push(a);
    else {
      rest.push(a);
      const spec = flags.find((f) => `--${f.name}` === a);
      if (spec?.type === 'string' && i + 1 < argv.length) rest.push(argv[++i]);
    }
  }
  return { positional, rest };
}

export async function runImages(argv: string[]): Promise<number> {
  const { positional, rest } = split(argv);
  let f: Record<string, any>;
  try {
    f = parseFlags(flags, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const [verb, ...files] = positional;
  if (f.help || !verb) {
    process.stdout.write(helpText(USAGE, flags));
    return f.help ? 0 : 2;
  }
  const paths = containerdPaths(f['data-dir']);
  const socket = String(f['container-runtime-endpoint'] ?? paths.socket).replace(/^unix:\/\//, '');
  if (!existsSync(socket)) {
    process.stderr.write(`Error: no containerd socket at ${socket}: start the node (skiff server or skiff agent) on --data-dir ${f['data-dir']} first\n`);
    return 1;
  }
  const snapshotter = existsSync(paths.config) ? /^\s*snapshotter = "([^"]+)"/m.exec(readFileSync(paths.config, 'utf8'))?.[1] : undefined;
  try {
    if (verb === 'list') {
      for (const name of listImageNames(socket)) process.stdout.write(`${name}\n`);
      return 0;
    }
    if (verb !== 'import' || files.length === 0) {
      process.stderr.write(`Error: ${verb === 'import' ? 'no archive given' : `unknown images command "${verb}"`}\n${USAGE}\n`);
      return 2;
    }
    for (const file of files) {
      if (!existsSync(file)) throw new Error(`${file}: no such file`);
      process.stdout.write(importArchive({ socket, file, snapshotter }));
    }
    return 0;
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}
