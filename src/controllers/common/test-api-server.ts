/**
 * For controller unit tests: a real API server in this process (memory store, bootstrap
 * objects) with an admin Clientset and an informer factory, so a controller's sync
 * functions run against the real REST semantics without workers or a network. Tests build
 * their controllers (which register informers) and then call informers.start(signal).
 */
import { buildRegistry } from '../../api/index.js';
import { ApiHandler } from '../../apiserver/handler.js';
import { Clientset, InformerFactory } from '../../client/clientset.js';
import { RestClient } from '../../client/rest.js';
import { MemoryBackend } from '../../store/memory.js';
import { silentLogger } from '../../util/log.js';

export interface TestApiServer {
  cs: Clientset;
  informers: InformerFactory;
  /** Aborted by close(): stops the informers. */
  signal: AbortSignal;
  close(): Promise<void>;
}

export async function startTestApiServer(): Promise<TestApiServer> {
  const handler = new ApiHandler({ registry: buildRegistry(), backend: new MemoryBackend() });
  await handler.bootstrap();
  const rest = new RestClient({ server: 'https://in-process.invalid', caPem: '' }, { local: { handler, user: { name: 'admin', groups: ['system:masters'] } } });
  const cs = new Clientset(rest);
  const ac = new AbortController();
  return {
    cs,
    informers: new InformerFactory(cs, silentLogger),
    signal: ac.signal,
    async close() {
      ac.abort();
      rest.close();
      await handler.close();
    },
  };
}
