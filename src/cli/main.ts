/** skiff's command line: `skiff server`, ... (one binary, several roles, like k3s). */
// Each command loads only its own modules: an agent process stays small (no API server,
// store or controllers in its memory).

const USAGE = `Usage: skiff <command> [flags]

Commands:
  server              Run a whole cluster: API server on an embedded store, controllers, scheduler
  agent               Run node agents (--simulated: hollow nodes) that join a server
  controller-manager  Run the controllers on their own
  scheduler           Run the scheduler on its own
  proxy               Run a node's service proxy (nftables) on its own
  images              Import image archives into the node's containerd (images import FILE), list them
  migrate             Copy the data dir's SQLite store into etcd (--datastore-endpoint)

Run 'skiff <command> --help' for a command's flags.
`;

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let code: number;
  switch (cmd) {
    case 'server':
      code = await (await import('./server.js')).runServer(rest);
      break;
    case 'images':
      code = await (await import('./images.js')).runImages(rest);
      break;
    case 'migrate':
      code = await (await import('./migrate.js')).runMigrate(rest);
      break;
    case 'agent':
    case 'controller-manager':
    case 'scheduler':
    case 'proxy':
      code = await (await import('./components.js')).runComponent(cmd, rest);
      break;
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      code = 0;
      break;
    default:
      process.stderr.write(`Error: unknown command "${cmd}"\n${USAGE}`);
      code = 2;
  }
  process.exitCode = code;
}
