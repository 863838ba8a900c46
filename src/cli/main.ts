/** skiff's command line: `skiff server`, ... (one binary, several roles, like k3s). */
import { runServer } from './server.js';

const USAGE = `Usage: skiff <command> [flags]

Commands:
  server    Run the control plane (API server on an embedded store)

Run 'skiff <command> --help' for a command's flags.
`;

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let code: number;
  switch (cmd) {
    case 'server':
      code = await runServer(rest);
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
