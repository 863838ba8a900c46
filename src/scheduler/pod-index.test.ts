import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodIndex } from './pod-index.js';

const pod = (uid: string, labels: Record<string, string>, anti?: any, ns = 'd') => ({
  metadata: { uid, name: uid, namespace: ns, labels },
  spec: anti ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [anti] } } } : {},
});

describe('PodIndex', () => {
  it('finds pods by selector through their first label, per namespace', () => {
    const ix = new PodIndex();
    ix.add(pod('a', { app: 'web', tier: 'fe' }), 'n1');
    ix.add(pod('b', { app: 'web', tier: 'be' }), 'n2');
    ix.add(pod('c', { app: 'db' }), 'n1');
    ix.add(pod('x', { app: 'web' }, undefined, 'other'), 'n3');
    const names = (sel: any, ns: any = ['d']) => [...ix.matching(ns, sel)].map((e) => e.pod.metadata.name).sort();
    assert.deepEqual(names({ matchLabels: { app: 'web' } }), ['a', 'b']);
    assert.deepEqual(names({ matchLabels: { app: 'web', tier: 'be' } }), ['b']);
    assert.deepEqual(names({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }), ['c']);
    assert.deepEqual(names({ matchLabels: { app: 'web' } }, 'all'), ['a', 'b', 'x']);
    ix.remove('a');
    assert.deepEqual(names({ matchLabels: { app: 'web' } }), ['b']);
  });

  it('groups anti-affinity terms of placed pods with the nodes they are on', () => {
    const ix = new PodIndex();
    const term = { labelSelector: { matchLabels: { g: '1' } }, topologyKey: 'kubernetes.io/hostname' };
    ix.add(pod('a', { g: '1' }, term), 'n1');
    ix.add(pod('b', { g: '1' }, term), 'n2');
    const terms = [...ix.antiAffinityTerms()];
    assert.equal(terms.length, 1);
    assert.deepEqual([...terms[0].nodes.keys()].sort(), ['n1', 'n2']);
    ix.remove('a');
    ix.remove('b');
    assert.equal([...ix.antiAffinityTerms()].length, 0);
  });
});
