import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdConfig, containerdPaths } from './containerd.js';
import { cniConflist, gatewayOf, writeCniConfig } from './cni.js';

const hasContainerd = spawnSync('sh', ['-c', 'command -v containerd']).status === 0;

describe('containerd config', () => {
  it('is a config containerd itself accepts, with the CRI settings these machines need', { skip: hasContainerd ? false : 'needs containerd' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-ctd-'));
    try {
      const paths = containerdPaths(dir);
      const file = join(dir, 'config.toml');
      writeFileSync(file, containerdConfig({ paths, snapshotter: 'native', streamPort: 12345 }));
      const r = spawnSync('containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout;
      assert.match(out, /restrict_oom_score_adj = true/);
      assert.match(out, /SystemdCgroup = false/);
      assert.match(out, /snapshotter = "native"/);
      assert.match(out, /sandbox_image = "skiff\.local\/pause:3\.9"/);
      assert.ok(out.includes(`address = "${paths.socket}"`));
      assert.ok(out.includes(`conf_dir = "${paths.cniConfDir}"`));
      assert.match(out, /bin_dir = "\/usr\/lib\/cni"/);
      assert.match(out, /stream_server_port = "12345"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CNI conflist', () => {
  it('bridges pods on skiff0 with the node podCIDR, hairpin on, no blanket masquerade, portmap for hostPort', () => {
    const c = cniConflist({ confDir: '/x', podCidr: '10.42.3.0/24', ipamDataDir: '/d' });
    assert.equal(c.cniVersion, '1.0.0');
    const [bridge, portmap] = c.plugins;
    assert.equal(bridge.type, 'bridge');
    assert.equal(bridge.bridge, 'skiff0');
    assert.equal(bridge.isGateway, true);
    assert.equal(bridge.hairpinMode, true);
    assert.equal(bridge.ipMasq, false);
    assert.deepEqual(bridge.ipam.ranges, [[{ subnet: '10.42.3.0/24', gateway: '10.42.3.1' }]]);
    assert.deepEqual(portmap, { type: 'portmap', capabilities: { portMappings: true }, snat: true });
    assert.equal(gatewayOf('10.42.0.0/24'), '10.42.0.1');
  });
  it('rewrites the file only when it changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-'));
    try {
      const o = { confDir: join(dir, 'cni'), podCidr: '10.42.0.0/24', ipamDataDir: join(dir, 'ipam') };
      assert.equal(writeCniConfig(o), true);
      assert.equal(writeCniConfig(o), false);
      assert.equal(writeCniConfig({ ...o, podCidr: '10.42.1.0/24' }), true);
      assert.match(readFileSync(join(dir, 'cni', '10-skiff.conflist'), 'utf8'), /10\.42\.1\.0\/24/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
