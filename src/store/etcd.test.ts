/** The store conformance suite on a real etcd: one member, and a three-member cluster on loopback. */
import { after, before, describe } from 'node:test';
import { runBackendConformance } from './conformance.js';
import { EtcdBackend } from './etcd.js';
import { EtcdCluster, etcdAvailable } from './etcd-process.js';

const skip = etcdAvailable() ? undefined : 'etcd is not installed (apt-get install etcd-server; .ci/run does)';

for (const size of [1, 3]) {
  describe(`etcd x${size}`, { skip }, () => {
    let cluster: EtcdCluster;
    before(async () => {
      cluster = await EtcdCluster.start(size);
    });
    after(async () => {
      await cluster?.stop();
    });
    runBackendConformance(`etcd (${size} member${size > 1 ? 's' : ''})`, async () => new EtcdBackend({ endpoints: cluster.endpoints }));
  });
}
