import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, leaderElectionTimings, parseDuration, parseFlags, podGcSettings, UsageError } from './flags.js';
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

  it('takes leader election timings as durations, Kubernetes defaults 15s/10s/2s', () => {
    assert.deepEqual(leaderElectionTimings(parseFlags(serverFlags, [])), { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    const f = parseFlags(serverFlags, ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline=3s', '--leader-elect-retry-period', '500ms']);
    assert.deepEqual(leaderElectionTimings(f), { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 });
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.throws(() => parseDuration('15'), UsageError);
    assert.throws(() => leaderElectionTimings(parseFlags(serverFlags, ['--leader-elect-lease-duration', '5s', '--leader-elect-renew-deadline', '10s'])), /greater than --leader-elect-renew-deadline/);
    assert.throws(() => leaderElectionTimings(parseFlags(serverFlags, ['--leader-elect-renew-deadline', '2s'])), /1.2 x/);
  });

  it('takes the pod garbage collector settings, kube-controller-manager defaults 12500 / 20s / 40s', () => {
    assert.deepEqual(podGcSettings(parseFlags(serverFlags, [])), { terminatedPodGcThreshold: 12500, periodMs: 20_000, quarantineMs: 40_000 });
    assert.deepEqual(podGcSettings(parseFlags(serverFlags, ['--terminated-pod-gc-threshold', '0', '--pod-gc-period=500ms', '--pod-gc-quarantine', '0s'])), { terminatedPodGcThreshold: 0, periodMs: 500, quarantineMs: 0 });
    assert.throws(() => podGcSettings(parseFlags(serverFlags, ['--terminated-pod-gc-threshold', 'lots'])), /terminated-pod-gc-threshold/);
  });
});
