import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, parseFlags, UsageError } from './flags.js';
import { serverFlags } from './server.js';

describe('skiff server flags', () => {
  it('parses k3s-style flags with defaults', () => {
    const f = parseFlags(serverFlags, ['--data-dir', '/tmp/d', '--https-listen-port=7443', '--disable-agent', '--tls-san', 'a', '--tls-san', 'b']);
    assert.equal(f['data-dir'], '/tmp/d');
    assert.equal(f['https-listen-port'], '7443');
    assert.equal(f['disable-agent'], true);
    assert.deepEqual(f['tls-san'], ['a', 'b']);
    assert.equal(f['service-cidr'], '10.43.0.0/16');
    assert.equal(f['cluster-domain'], 'cluster.local');
  });

  it('rejects unknown flags', () => {
    assert.throws(() => parseFlags(serverFlags, ['--no-such-flag']), (e: unknown) => e instanceof UsageError && /unknown flag: --no-such-flag/.test(e.message));
  });

  it('lists every flag in --help', () => {
    const h = helpText('Usage', serverFlags);
    for (const s of serverFlags) assert.match(h, new RegExp(`--${s.name}\\b`));
  });
});
